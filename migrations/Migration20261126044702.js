'use strict';
Object.defineProperty(exports, '__esModule', { value: true });
const { Migration } = require('@mikro-orm/migrations');

class Migration20261126044702 extends Migration {

  async up() {
    this.addSql(`create table "api_keys" ("id" uuid not null, "name" text not null, "business_id" uuid null, "prefix" text not null, "hash" text not null, "created_at" timestamptz not null, "last_used_at" timestamptz null, "revoked_at" timestamptz null, constraint "api_keys_pkey" primary key ("id"));`);
    this.addSql(`create index "api_keys_business_id_index" on "api_keys" ("business_id");`);
    this.addSql(`alter table "api_keys" add constraint "api_keys_hash_unique" unique ("hash");`);

    this.addSql(`create table "businesses" ("id" uuid not null, "name" text not null, "description" text null, "primary_goal" text null, "personality" text null, "instructions" text null, "greeting" text null, "secondary_greeting" text null, "privacy_statement" text null, "services" jsonb not null, "hours" text null, "location" text null, "contact_email" text null, "contact_phone" text null, "website_url" text null, "faqs" jsonb not null, "suggested_questions" jsonb not null, "cta_tree" jsonb not null, "enabled_categories" jsonb not null, "theme_color" text not null default '#2563eb', "widget_position" text check ("widget_position" in ('CENTER', 'BOTTOM_RIGHT', 'BOTTOM_LEFT')) not null default 'BOTTOM_RIGHT', "button_text" text null, "logo_url" text null, "voice_enabled" boolean not null default false, "allowed_origins" jsonb not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "businesses_pkey" primary key ("id"));`);
  }

  async down() {
    this.addSql(`drop table if exists "api_keys" cascade;`);
    this.addSql(`drop table if exists "businesses" cascade;`);
  }

}
exports.Migration20261126044702 = Migration20261126044702;
