'use strict';
Object.defineProperty(exports, '__esModule', { value: true });
const { Migration } = require('@mikro-orm/migrations');

/**
 * Conversation ending (the worker ends idle conversations): the claim columns on conversations
 * (`ending_claim` + `ending_until`: a lease taken with FOR UPDATE SKIP LOCKED, so several
 * workers never end one conversation twice; `ending_attempts`: Gemini failures before the
 * offline fallback), and `webhook_deliveries.session_id` so that a visitor's erasure also
 * erases the CONVERSATION_ENDED payloads (transcripts) of their session.
 */
class Migration20261204183000 extends Migration {

  async up() {
    this.addSql(`alter table "conversations" add column "ending_claim" uuid null, add column "ending_until" timestamptz null, add column "ending_attempts" smallint not null default 0;`);
    this.addSql(`alter table "webhook_deliveries" add column "session_id" text null;`);
    this.addSql(`create index "webhook_deliveries_session_index" on "webhook_deliveries" ("session_id") where "session_id" is not null;`);
  }

  async down() {
    this.addSql(`drop index if exists "webhook_deliveries_session_index";`);
    this.addSql(`alter table "webhook_deliveries" drop column if exists "session_id";`);
    this.addSql(`alter table "conversations" drop column if exists "ending_claim", drop column if exists "ending_until", drop column if exists "ending_attempts";`);
  }

}
exports.Migration20261204183000 = Migration20261204183000;
