'use strict';
Object.defineProperty(exports, '__esModule', { value: true });
const { Migration } = require('@mikro-orm/migrations');

/**
 * Re-crawls: a business's optional interval, and per crawled page its validators (ETag,
 * Last-Modified) and its same-origin links (followed again when the page answers 304 Not
 * Modified). The content hash is computed from the stored text (sha256), so it can never
 * disagree with it.
 */
class Migration20261204193000 extends Migration {

  async up() {
    this.addSql(`alter table "businesses" add column "recrawl_interval_hours" int null;`);
    this.addSql(`alter table "knowledge_documents" add column "http_etag" text null, add column "http_last_modified" text null, add column "page_links" jsonb null;`);
  }

  async down() {
    this.addSql(`alter table "knowledge_documents" drop column "http_etag", drop column "http_last_modified", drop column "page_links";`);
    this.addSql(`alter table "businesses" drop column "recrawl_interval_hours";`);
  }

}
exports.Migration20261204193000 = Migration20261204193000;
