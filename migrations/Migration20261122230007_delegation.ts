import { Migration } from '@mikro-orm/migrations';

export class Migration20261122230007_delegation extends Migration {

  override name = 'Migration20261122230007_delegation';

  override up(): void | Promise<void> {
    this.addSql(`create table "routines" ("id" uuid not null, "service_id" uuid not null, "organisation_kind" text null, "effective_from" timestamptz not null, "name" varchar(200) not null, "rules" jsonb not null, "created_by_id" uuid null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "routines_service_kind_from_idx" on "routines" ("service_id", "organisation_kind", "effective_from");`);

    this.addSql(`create table "issuer_administrators" ("id" uuid not null, "user_id" uuid not null, "service_id" uuid not null, "organisation_id" uuid not null, "state" text not null default 'active', "appointed_by_id" uuid null, "created_at" timestamptz not null, "removed_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "issuer_administrators_user_id_index" on "issuer_administrators" ("user_id");`);
    this.addSql(`create index "issuer_administrators_organisation_id_index" on "issuer_administrators" ("organisation_id");`);

    this.addSql(`create table "documents" ("id" uuid not null, "kind" text not null, "filename" varchar(255) not null, "content_type" varchar(100) not null, "size" int not null, "sha256" varchar(64) not null, "content" bytea not null, "uploaded_by_id" uuid null, "created_at" timestamptz not null, primary key ("id"));`);

    this.addSql(`create table "orderer_appointments" ("id" uuid not null, "user_id" uuid not null, "service_id" uuid not null, "scope_id" uuid not null, "state" text not null default 'requested', "valid_from" timestamptz not null, "valid_to" timestamptz null, "request_form_id" uuid not null, "routine_id" uuid not null, "requested_by_id" uuid not null, "decided_by_id" uuid null, "decided_at" timestamptz null, "decision_reason" text null, "revoked_by_id" uuid null, "revoked_at" timestamptz null, "revoke_reason" text null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "orderer_appointments_user_id_index" on "orderer_appointments" ("user_id");`);
    this.addSql(`create index "orderer_appointments_scope_id_index" on "orderer_appointments" ("scope_id");`);
    this.addSql(`create index "orderer_appointments_service_state_idx" on "orderer_appointments" ("service_id", "state");`);

    this.addSql(`create table "issuer_mandates" ("id" uuid not null, "service_id" uuid not null, "organisation_id" uuid not null, "state" text not null default 'active', "agreement_reference" varchar(100) not null, "agreement_signatory" varchar(200) not null, "agreement_document_id" uuid not null, "valid_from" timestamptz not null, "valid_to" timestamptz null, "support_email" varchar(254) null, "support_phone" varchar(32) null, "support_instructions" text null, "threshold_override_reason" text null, "routine_id" uuid not null, "granted_by_id" uuid not null, "ended_at" timestamptz null, "ended_by_id" uuid null, "end_reason" text null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "issuer_mandates_organisation_id_index" on "issuer_mandates" ("organisation_id");`);
    this.addSql(`create index "issuer_mandates_service_state_idx" on "issuer_mandates" ("service_id", "state");`);

    this.addSql(`alter table "organisations" add "legal_entity_id" uuid null;`);
    this.addSql(`alter table "organisations" add constraint "organisations_legal_entity_id_foreign" foreign key ("legal_entity_id") references "organisations" ("id") on delete set null;`);
    this.addSql(`create index "organisations_legal_entity_id_index" on "organisations" ("legal_entity_id");`);
    // Existing rows: a non-unit is its own legal entity; a unit belongs to the nearest non-unit above it.
    this.addSql(`update "organisations" o set "legal_entity_id" = (select a."id" from "organisations" a where o."path" like a."path" || '%' and a."kind" <> 'unit' order by a."depth" desc limit 1);`);

    this.addSql(`alter table "routines" add constraint "routines_service_id_foreign" foreign key ("service_id") references "services" ("id");`);
    this.addSql(`alter table "routines" add constraint "routines_created_by_id_foreign" foreign key ("created_by_id") references "users" ("id") on delete set null;`);
    this.addSql(`alter table "routines" add constraint "routines_organisation_kind_check" check ("organisation_kind" in ('authority', 'agency', 'municipality', 'region', 'coordination_association', 'supplier', 'unit'));`);

    this.addSql(`alter table "issuer_administrators" add constraint "issuer_administrators_user_id_foreign" foreign key ("user_id") references "users" ("id");`);
    this.addSql(`alter table "issuer_administrators" add constraint "issuer_administrators_service_id_foreign" foreign key ("service_id") references "services" ("id");`);
    this.addSql(`alter table "issuer_administrators" add constraint "issuer_administrators_organisation_id_foreign" foreign key ("organisation_id") references "organisations" ("id");`);
    this.addSql(`alter table "issuer_administrators" add constraint "issuer_administrators_appointed_by_id_foreign" foreign key ("appointed_by_id") references "users" ("id") on delete set null;`);
    this.addSql(`alter table "issuer_administrators" add constraint "issuer_administrators_state_check" check ("state" in ('active', 'removed'));`);

    this.addSql(`alter table "documents" add constraint "documents_uploaded_by_id_foreign" foreign key ("uploaded_by_id") references "users" ("id") on delete set null;`);
    this.addSql(`alter table "documents" add constraint "documents_kind_check" check ("kind" in ('agreement', 'orderer_request_form', 'order_form', 'cv', 'manager_approval'));`);

    this.addSql(`alter table "orderer_appointments" add constraint "orderer_appointments_user_id_foreign" foreign key ("user_id") references "users" ("id");`);
    this.addSql(`alter table "orderer_appointments" add constraint "orderer_appointments_service_id_foreign" foreign key ("service_id") references "services" ("id");`);
    this.addSql(`alter table "orderer_appointments" add constraint "orderer_appointments_scope_id_foreign" foreign key ("scope_id") references "organisations" ("id");`);
    this.addSql(`alter table "orderer_appointments" add constraint "orderer_appointments_request_form_id_foreign" foreign key ("request_form_id") references "documents" ("id");`);
    this.addSql(`alter table "orderer_appointments" add constraint "orderer_appointments_routine_id_foreign" foreign key ("routine_id") references "routines" ("id");`);
    this.addSql(`alter table "orderer_appointments" add constraint "orderer_appointments_requested_by_id_foreign" foreign key ("requested_by_id") references "users" ("id");`);
    this.addSql(`alter table "orderer_appointments" add constraint "orderer_appointments_decided_by_id_foreign" foreign key ("decided_by_id") references "users" ("id") on delete set null;`);
    this.addSql(`alter table "orderer_appointments" add constraint "orderer_appointments_revoked_by_id_foreign" foreign key ("revoked_by_id") references "users" ("id") on delete set null;`);
    this.addSql(`alter table "orderer_appointments" add constraint "orderer_appointments_state_check" check ("state" in ('requested', 'approved', 'rejected', 'revoked'));`);

    this.addSql(`alter table "issuer_mandates" add constraint "issuer_mandates_service_id_foreign" foreign key ("service_id") references "services" ("id");`);
    this.addSql(`alter table "issuer_mandates" add constraint "issuer_mandates_organisation_id_foreign" foreign key ("organisation_id") references "organisations" ("id");`);
    this.addSql(`alter table "issuer_mandates" add constraint "issuer_mandates_agreement_document_id_foreign" foreign key ("agreement_document_id") references "documents" ("id");`);
    this.addSql(`alter table "issuer_mandates" add constraint "issuer_mandates_routine_id_foreign" foreign key ("routine_id") references "routines" ("id");`);
    this.addSql(`alter table "issuer_mandates" add constraint "issuer_mandates_granted_by_id_foreign" foreign key ("granted_by_id") references "users" ("id");`);
    this.addSql(`alter table "issuer_mandates" add constraint "issuer_mandates_ended_by_id_foreign" foreign key ("ended_by_id") references "users" ("id") on delete set null;`);
    this.addSql(`alter table "issuer_mandates" add constraint "issuer_mandates_state_check" check ("state" in ('active', 'ended'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "orderer_appointments" drop constraint "orderer_appointments_routine_id_foreign";`);
    this.addSql(`alter table "issuer_mandates" drop constraint "issuer_mandates_routine_id_foreign";`);
    this.addSql(`alter table "orderer_appointments" drop constraint "orderer_appointments_request_form_id_foreign";`);
    this.addSql(`alter table "issuer_mandates" drop constraint "issuer_mandates_agreement_document_id_foreign";`);

    this.addSql(`drop table if exists "routines" cascade;`);
    this.addSql(`drop table if exists "issuer_administrators" cascade;`);
    this.addSql(`drop table if exists "documents" cascade;`);
    this.addSql(`drop table if exists "orderer_appointments" cascade;`);
    this.addSql(`drop table if exists "issuer_mandates" cascade;`);

    this.addSql(`alter table "organisations" drop constraint "organisations_legal_entity_id_foreign";`);

    this.addSql(`drop index "organisations_legal_entity_id_index";`);
    this.addSql(`alter table "organisations" drop column "legal_entity_id";`);
  }

}
