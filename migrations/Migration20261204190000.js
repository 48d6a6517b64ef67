'use strict';
Object.defineProperty(exports, '__esModule', { value: true });
const { Migration } = require('@mikro-orm/migrations');

/**
 * Per-business synonym groups (query expansion) and stored passage embeddings (Gemini
 * semantic retrieval: one float4 array per chunk, null until embedded; cosine in the api).
 */
class Migration20261204190000 extends Migration {

  async up() {
    this.addSql(`alter table "businesses" add column "synonyms" jsonb not null default '[]';`);
    this.addSql(`alter table "knowledge_chunks" add column "embedding" real[] null, add column "embedding_model" text null;`);
  }

  async down() {
    this.addSql(`alter table "knowledge_chunks" drop column "embedding", drop column "embedding_model";`);
    this.addSql(`alter table "businesses" drop column "synonyms";`);
  }

}
exports.Migration20261204190000 = Migration20261204190000;
