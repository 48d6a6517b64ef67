'use strict';
Object.defineProperty(exports, '__esModule', { value: true });
const { Migration } = require('@mikro-orm/migrations');

/** Uploaded files (uploadKnowledgeFile): documents may be PDF or DOCX. */
class Migration20261203124500 extends Migration {

  async up() {
    this.addSql(`alter table "knowledge_documents" drop constraint if exists "knowledge_documents_format_check";`);
    this.addSql(`alter table "knowledge_documents" add constraint "knowledge_documents_format_check" check ("format" in ('TEXT', 'MARKDOWN', 'HTML', 'PDF', 'DOCX'));`);
  }

  async down() {
    this.addSql(`alter table "knowledge_documents" drop constraint if exists "knowledge_documents_format_check";`);
    this.addSql(`alter table "knowledge_documents" add constraint "knowledge_documents_format_check" check ("format" in ('TEXT', 'MARKDOWN', 'HTML'));`);
  }

}
exports.Migration20261203124500 = Migration20261203124500;
