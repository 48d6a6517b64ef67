'use strict';
Object.defineProperty(exports, '__esModule', { value: true });
const { Migration } = require('@mikro-orm/migrations');

/**
 * Conversations, analytics and feedback: conversation records (the transcript of a session,
 * id = the session id), countable analytics events (kept after erasure, texts nulled) and
 * message feedback (one row per rated message). Hand-edited: the partial index of open
 * conversations, the tsv column of knowledge_chunks left alone (the generator does not see
 * generated columns).
 */
class Migration20261203115419 extends Migration {

  async up() {
    this.addSql(`create table "analytics_events" ("id" uuid not null, "business_id" uuid not null, "session_id" text null, "kind" text not null, "at" timestamptz not null, "text" text null, "question_norm" text null, "question_key" text null, "voice" boolean not null default false, "cta_id" text null, "cta_label" text null, "provider" text null, "first_token_ms" int null, "engaged" boolean not null default false, constraint "analytics_events_pkey" primary key ("id"));`);
    this.addSql(`create index "analytics_events_session_index" on "analytics_events" ("session_id");`);
    this.addSql(`create index "analytics_events_business_kind_at_index" on "analytics_events" ("business_id", "kind", "at");`);

    this.addSql(`create table "conversations" ("id" text not null, "business_id" uuid not null, "started_at" timestamptz not null, "last_message_at" timestamptz not null, "ended_at" timestamptz null, "message_count" int not null default 0, "summary" text null, "intent" text null, "sentiment" text null, constraint "conversations_pkey" primary key ("id"));`);
    this.addSql(`create index "conversations_open_last_message_index" on "conversations" ("last_message_at") where "ended_at" is null;`);
    this.addSql(`create index "conversations_business_started_index" on "conversations" ("business_id", "started_at", "id");`);

    this.addSql(`create table "conversation_messages" ("id" uuid not null, "conversation_id" text not null, "role" text not null, "text" text not null, "created_at" timestamptz not null, "idx" smallint not null default 0, "sources" jsonb not null, "ctas" jsonb not null, constraint "conversation_messages_pkey" primary key ("id"));`);
    this.addSql(`create index "conversation_messages_conversation_index" on "conversation_messages" ("conversation_id", "created_at", "idx");`);

    this.addSql(`create table "message_feedback" ("message_id" uuid not null, "business_id" uuid not null, "session_id" text null, "rating" text not null, "comment" text null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "message_feedback_pkey" primary key ("message_id"));`);
    this.addSql(`create index "message_feedback_session_index" on "message_feedback" ("session_id");`);
    this.addSql(`create index "message_feedback_business_updated_index" on "message_feedback" ("business_id", "updated_at");`);

    this.addSql(`create table "erased_conversations" ("id" text not null, "erased_at" timestamptz not null, constraint "erased_conversations_pkey" primary key ("id"));`);

    this.addSql(`alter table "analytics_events" add constraint "analytics_events_business_id_foreign" foreign key ("business_id") references "businesses" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "conversations" add constraint "conversations_business_id_foreign" foreign key ("business_id") references "businesses" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "conversation_messages" add constraint "conversation_messages_conversation_id_foreign" foreign key ("conversation_id") references "conversations" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "message_feedback" add constraint "message_feedback_business_id_foreign" foreign key ("business_id") references "businesses" ("id") on update cascade on delete cascade;`);

  }

  async down() {
    this.addSql(`alter table "conversation_messages" drop constraint "conversation_messages_conversation_id_foreign";`);

    this.addSql(`drop table if exists "analytics_events" cascade;`);

    this.addSql(`drop table if exists "conversations" cascade;`);

    this.addSql(`drop table if exists "conversation_messages" cascade;`);

    this.addSql(`drop table if exists "message_feedback" cascade;`);

    this.addSql(`drop table if exists "erased_conversations" cascade;`);
  }

}
exports.Migration20261203115419 = Migration20261203115419;
