'use strict';
Object.defineProperty(exports, '__esModule', { value: true });
const { Migration } = require('@mikro-orm/migrations');

/**
 * Knowledge base: documents, chunks (generated tsvector under GIN, trigram index on titles),
 * per-business active generation, index jobs. Every table references businesses(id) with
 * ON DELETE CASCADE, so deleting a business removes its knowledge.
 * Hand-edited: the extension, the generated column and the GIN/trigram indexes.
 */
class Migration20261126045556 extends Migration {

  async up() {
    this.addSql(`create extension if not exists pg_trgm;`);

    this.addSql(`create table "index_jobs" ("id" uuid not null, "business_id" uuid not null, "kind" text check ("kind" in ('DOCUMENT', 'REBUILD', 'CRAWL')) not null, "state" text check ("state" in ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED')) not null default 'QUEUED', "progress" double precision not null default 0, "error" text null, "payload" jsonb not null, "version" int not null default 0, "attempts" int not null default 0, "created_at" timestamptz not null, "started_at" timestamptz null, "finished_at" timestamptz null, constraint "index_jobs_pkey" primary key ("id"));`);
    this.addSql(`create index "index_jobs_business_id_index" on "index_jobs" ("business_id");`);

    this.addSql(`create table "knowledge_documents" ("id" uuid not null, "business_id" uuid not null, "title" text not null, "format" text check ("format" in ('TEXT', 'MARKDOWN', 'HTML')) not null default 'TEXT', "category" text null, "source_url" text null, "content" text not null, "chunk_count" int not null default 0, "indexed_at" timestamptz null, "index_job_id" uuid null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "knowledge_documents_pkey" primary key ("id"));`);
    this.addSql(`alter table "knowledge_documents" add constraint "knowledge_documents_business_source_url_unique" unique ("business_id", "source_url");`);

    this.addSql(`create table "knowledge_chunks" ("id" bigserial primary key, "business_id" uuid not null, "document_id" uuid not null, "generation" int not null, "seq" int not null, "title" text not null, "category" text null, "text" text not null, "tsv" tsvector generated always as (to_tsvector('english', "title" || ' ' || "text")) stored);`);
    this.addSql(`create index "knowledge_chunks_tsv_index" on "knowledge_chunks" using gin ("tsv");`);
    this.addSql(`create index "knowledge_chunks_title_trgm_index" on "knowledge_chunks" using gin ("title" gin_trgm_ops);`);
    this.addSql(`create index "knowledge_chunks_document_generation_index" on "knowledge_chunks" ("document_id", "generation");`);
    this.addSql(`create index "knowledge_chunks_business_generation_index" on "knowledge_chunks" ("business_id", "generation");`);

    this.addSql(`create table "knowledge_generations" ("business_id" uuid not null, "active" int not null default 1, "building" int null, "last_allocated" int not null default 1, constraint "knowledge_generations_pkey" primary key ("business_id"));`);

    this.addSql(`alter table "index_jobs" add constraint "index_jobs_business_id_foreign" foreign key ("business_id") references "businesses" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "knowledge_documents" add constraint "knowledge_documents_business_id_foreign" foreign key ("business_id") references "businesses" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "knowledge_chunks" add constraint "knowledge_chunks_business_id_foreign" foreign key ("business_id") references "businesses" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "knowledge_chunks" add constraint "knowledge_chunks_document_id_foreign" foreign key ("document_id") references "knowledge_documents" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "knowledge_generations" add constraint "knowledge_generations_business_id_foreign" foreign key ("business_id") references "businesses" ("id") on update cascade on delete cascade;`);
  }

  async down() {
    this.addSql(`drop table if exists "knowledge_chunks" cascade;`);
    this.addSql(`drop table if exists "knowledge_generations" cascade;`);
    this.addSql(`drop table if exists "knowledge_documents" cascade;`);
    this.addSql(`drop table if exists "index_jobs" cascade;`);
    // pg_trgm stays: other features may use it, and dropping an extension is not ours to do.
  }

}
exports.Migration20261126045556 = Migration20261126045556;
