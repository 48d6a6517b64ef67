'use strict';
Object.defineProperty(exports, '__esModule', { value: true });
const { Migration } = require('@mikro-orm/migrations');

/**
 * The per-day rollup of analytics_events (docs/analytics.md, measured: `npm run bench --
 * analytics`): `analytics_rollup_days` says which (business, UTC day) is rolled up (rolled_at
 * set) or must be (re)computed (null: new events, or texts erased), `analytics_rollup` holds the
 * day's counts. A day without a current rollup is read from the events: the rollup is a cache.
 */
class Migration20261204192000 extends Migration {

  async up() {
    this.addSql(`create table "analytics_rollup_days" ("business_id" uuid not null, "day" date not null, "rolled_at" timestamptz null, constraint "analytics_rollup_days_pkey" primary key ("business_id", "day"));`);
    this.addSql(`create index "analytics_rollup_days_pending_index" on "analytics_rollup_days" ("day") where "rolled_at" is null;`);
    this.addSql(`alter table "analytics_rollup_days" add constraint "analytics_rollup_days_business_id_foreign" foreign key ("business_id") references "businesses" ("id") on update cascade on delete cascade;`);
    this.addSql(`create table "analytics_rollup" ("business_id" uuid not null, "day" date not null, "metric" text not null, "dim" text not null default '', "label" text not null default '', "n" int not null, constraint "analytics_rollup_pkey" primary key ("business_id", "day", "metric", "dim", "label"));`);
    this.addSql(`alter table "analytics_rollup" add constraint "analytics_rollup_business_id_foreign" foreign key ("business_id") references "businesses" ("id") on update cascade on delete cascade;`);
  }

  async down() {
    this.addSql(`drop table if exists "analytics_rollup";`);
    this.addSql(`drop table if exists "analytics_rollup_days";`);
  }

}
exports.Migration20261204192000 = Migration20261204192000;
