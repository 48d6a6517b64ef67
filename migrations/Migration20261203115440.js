'use strict';
Object.defineProperty(exports, '__esModule', { value: true });
const { Migration } = require('@mikro-orm/migrations');

/**
 * Webhooks (secret encrypted at rest) and their deliveries: the transactional outbox the worker
 * sends from (partial index on the due PENDING rows). Both cascade from businesses(id).
 * Hand-edited: the generator's spurious drop of knowledge_chunks.tsv removed.
 */
class Migration20261203115440 extends Migration {

  async up() {
    this.addSql(`create table "webhooks" ("id" uuid not null, "business_id" uuid not null, "url" text not null, "events" jsonb not null, "secret_ciphertext" text not null, "enabled" boolean not null default true, "disabled_reason" text null, "failing_since" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "webhooks_pkey" primary key ("id"));`);
    this.addSql(`create index "webhooks_business_id_index" on "webhooks" ("business_id");`);

    this.addSql(`create table "webhook_deliveries" ("id" uuid not null, "webhook_id" uuid not null, "business_id" uuid not null, "event" text check ("event" in ('LEAD_CREATED', 'LEAD_UPDATED', 'CONVERSATION_ENDED')) not null, "lead_id" uuid null, "body" text null, "state" text check ("state" in ('PENDING', 'SUCCEEDED', 'FAILED')) not null default 'PENDING', "attempts" int not null default 0, "last_status" int null, "last_error" text null, "created_at" timestamptz not null, "delivered_at" timestamptz null, "next_attempt_at" timestamptz null, "history" jsonb not null, constraint "webhook_deliveries_pkey" primary key ("id"));`);
    this.addSql(`create index "webhook_deliveries_business_id_index" on "webhook_deliveries" ("business_id");`);
    this.addSql(`create index "webhook_deliveries_lead_id_index" on "webhook_deliveries" ("lead_id");`);
    this.addSql(`create index "webhook_deliveries_due_index" on "webhook_deliveries" ("next_attempt_at") where "state" = 'PENDING';`);
    this.addSql(`create index "webhook_deliveries_webhook_created_index" on "webhook_deliveries" ("webhook_id", "created_at");`);

    this.addSql(`alter table "webhooks" add constraint "webhooks_business_id_foreign" foreign key ("business_id") references "businesses" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "webhook_deliveries" add constraint "webhook_deliveries_webhook_id_foreign" foreign key ("webhook_id") references "webhooks" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "webhook_deliveries" add constraint "webhook_deliveries_business_id_foreign" foreign key ("business_id") references "businesses" ("id") on update cascade on delete cascade;`);
  }

  async down() {
    this.addSql(`alter table "webhook_deliveries" drop constraint "webhook_deliveries_webhook_id_foreign";`);

    this.addSql(`drop table if exists "webhooks" cascade;`);

    this.addSql(`drop table if exists "webhook_deliveries" cascade;`);
  }

}
exports.Migration20261203115440 = Migration20261203115440;
