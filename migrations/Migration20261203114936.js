'use strict';
Object.defineProperty(exports, '__esModule', { value: true });
const { Migration } = require('@mikro-orm/migrations');

/**
 * Leads (one per chat session, newest-first pages per business, optionally by status) and the
 * business fields that drive their capture. Hand-edited: existing businesses get the default
 * requiredContactFields ["NAME","EMAIL"]; the generated knowledge tsv column is left alone (the
 * entity does not declare it).
 */
class Migration20261203114936 extends Migration {

  async up() {
    this.addSql(`create table "leads" ("id" uuid not null, "business_id" uuid not null, "session_id" text null, "name" text null, "email" text null, "phone" text null, "status" text check ("status" in ('NEW', 'CONTACTED', 'QUALIFIED', 'WON', 'LOST')) not null default 'NEW', "source" text check ("source" in ('CHAT', 'VOICE', 'FORM')) not null default 'CHAT', "notes" text null, "summary" text null, "consent_at" timestamptz null, "history" jsonb not null, "version" int not null default 1, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "leads_pkey" primary key ("id"));`);
    this.addSql(`create index "leads_business_created_index" on "leads" ("business_id", "created_at" desc, "id" desc);`);
    this.addSql(`create index "leads_business_status_created_index" on "leads" ("business_id", "status", "created_at" desc, "id" desc);`);
    this.addSql(`alter table "leads" add constraint "leads_session_id_unique" unique ("session_id");`);

    this.addSql(`alter table "leads" add constraint "leads_business_id_foreign" foreign key ("business_id") references "businesses" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "businesses" add column "required_contact_fields" jsonb not null default '["NAME","EMAIL"]', add column "default_phone_region" text null;`);

  }

  async down() {
    this.addSql(`drop table if exists "leads" cascade;`);

    this.addSql(`alter table "businesses" drop column "required_contact_fields", drop column "default_phone_region";`);

  }

}
exports.Migration20261203114936 = Migration20261203114936;
