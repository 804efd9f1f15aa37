import { Migration } from '@mikro-orm/migrations';

export class Migration20261122231608_orders extends Migration {

  override name = 'Migration20261122231608_orders';

  override up(): void | Promise<void> {
    this.addSql(`create table "outbox_messages" ("id" uuid not null, "state" text not null default 'pending', "recipient" varchar(254) not null, "subject" varchar(300) not null, "body" text not null, "topic" varchar(64) not null, "attempts" int not null default 0, "next_attempt_at" timestamptz not null, "locked_by" varchar(100) null, "locked_until" timestamptz null, "last_error" text null, "sent_at" timestamptz null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "outbox_messages_due_idx" on "outbox_messages" ("state", "next_attempt_at");`);

    this.addSql(`create table "orders" ("id" uuid not null, "kind" text not null, "state" text not null default 'submitted', "user_id" uuid not null, "service_id" uuid not null, "role_id" uuid not null, "scope_id" uuid not null, "valid_from" timestamptz not null, "valid_to" timestamptz null, "justification" text null, "contact_email" varchar(254) null, "contact_phone" varchar(32) null, "ordered_by_id" uuid not null, "decider_id" uuid not null, "routine_id" uuid not null, "submitted_at" timestamptz not null, "decided_at" timestamptz null, "decided_by_id" uuid null, "decision_reason" text null, "grant_id" uuid null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "orders_decider_state_idx" on "orders" ("decider_id", "state", "submitted_at");`);
    this.addSql(`create index "orders_user_idx" on "orders" ("user_id", "created_at");`);
    this.addSql(`create index "orders_ordered_by_idx" on "orders" ("ordered_by_id", "created_at");`);

    this.addSql(`create table "order_events" ("id" uuid not null, "order_id" uuid not null, "from_state" text null, "to_state" text not null, "actor_id" uuid null, "reason" text null, "occurred_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "order_events_order_id_index" on "order_events" ("order_id");`);

    this.addSql(`create table "order_sub_areas" ("order_id" uuid not null, "sub_area_id" uuid not null, primary key ("order_id", "sub_area_id"));`);

    this.addSql(`create table "order_attachments" ("id" uuid not null, "order_id" uuid not null, "document_id" uuid not null, "sub_area_id" uuid null, primary key ("id"));`);
    this.addSql(`create index "order_attachments_order_id_index" on "order_attachments" ("order_id");`);
    this.addSql(`create index "order_attachments_document_id_index" on "order_attachments" ("document_id");`);

    this.addSql(`alter table "grants" add "suspended_at" timestamptz null, add "suspend_reason" text null;`);
    this.addSql(`create index "grants_role_state_idx" on "grants" ("role_id", "state");`);
    this.addSql(`create index "grants_state_valid_to_idx" on "grants" ("state", "valid_to");`);

    this.addSql(`alter table "outbox_messages" add constraint "outbox_messages_state_check" check ("state" in ('pending', 'sent', 'dead'));`);

    this.addSql(`alter table "orders" add constraint "orders_user_id_foreign" foreign key ("user_id") references "users" ("id");`);
    this.addSql(`alter table "orders" add constraint "orders_service_id_foreign" foreign key ("service_id") references "services" ("id");`);
    this.addSql(`alter table "orders" add constraint "orders_role_id_foreign" foreign key ("role_id") references "service_roles" ("id");`);
    this.addSql(`alter table "orders" add constraint "orders_scope_id_foreign" foreign key ("scope_id") references "organisations" ("id");`);
    this.addSql(`alter table "orders" add constraint "orders_ordered_by_id_foreign" foreign key ("ordered_by_id") references "users" ("id");`);
    this.addSql(`alter table "orders" add constraint "orders_decider_id_foreign" foreign key ("decider_id") references "organisations" ("id");`);
    this.addSql(`alter table "orders" add constraint "orders_routine_id_foreign" foreign key ("routine_id") references "routines" ("id");`);
    this.addSql(`alter table "orders" add constraint "orders_decided_by_id_foreign" foreign key ("decided_by_id") references "users" ("id") on delete set null;`);
    this.addSql(`alter table "orders" add constraint "orders_grant_id_foreign" foreign key ("grant_id") references "grants" ("id") on delete set null;`);
    this.addSql(`alter table "orders" add constraint "orders_kind_check" check ("kind" in ('order', 'self_registration'));`);
    this.addSql(`alter table "orders" add constraint "orders_state_check" check ("state" in ('submitted', 'returned', 'approved', 'rejected', 'withdrawn'));`);

    this.addSql(`alter table "order_events" add constraint "order_events_order_id_foreign" foreign key ("order_id") references "orders" ("id");`);
    this.addSql(`alter table "order_events" add constraint "order_events_actor_id_foreign" foreign key ("actor_id") references "users" ("id") on delete set null;`);
    this.addSql(`alter table "order_events" add constraint "order_events_from_state_check" check ("from_state" in ('submitted', 'returned', 'approved', 'rejected', 'withdrawn'));`);
    this.addSql(`alter table "order_events" add constraint "order_events_to_state_check" check ("to_state" in ('submitted', 'returned', 'approved', 'rejected', 'withdrawn'));`);

    this.addSql(`alter table "order_sub_areas" add constraint "order_sub_areas_order_id_foreign" foreign key ("order_id") references "orders" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "order_sub_areas" add constraint "order_sub_areas_sub_area_id_foreign" foreign key ("sub_area_id") references "sub_areas" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "order_attachments" add constraint "order_attachments_order_id_foreign" foreign key ("order_id") references "orders" ("id");`);
    this.addSql(`alter table "order_attachments" add constraint "order_attachments_document_id_foreign" foreign key ("document_id") references "documents" ("id");`);
    this.addSql(`alter table "order_attachments" add constraint "order_attachments_sub_area_id_foreign" foreign key ("sub_area_id") references "sub_areas" ("id") on delete set null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "order_events" drop constraint "order_events_order_id_foreign";`);
    this.addSql(`alter table "order_sub_areas" drop constraint "order_sub_areas_order_id_foreign";`);
    this.addSql(`alter table "order_attachments" drop constraint "order_attachments_order_id_foreign";`);

    this.addSql(`drop table if exists "outbox_messages" cascade;`);
    this.addSql(`drop table if exists "orders" cascade;`);
    this.addSql(`drop table if exists "order_events" cascade;`);
    this.addSql(`drop table if exists "order_sub_areas" cascade;`);
    this.addSql(`drop table if exists "order_attachments" cascade;`);

    this.addSql(`drop index "grants_role_state_idx";`);
    this.addSql(`drop index "grants_state_valid_to_idx";`);
    this.addSql(`alter table "grants" drop column "suspended_at", drop column "suspend_reason";`);
  }

}
