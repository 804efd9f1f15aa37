import { Migration } from '@mikro-orm/migrations';

export class Migration20261122223316_initial extends Migration {

  override name = 'Migration20261122223316_initial';

  override up(): void | Promise<void> {
    this.addSql(`create table "organisations" ("id" uuid not null, "kind" text not null, "name" varchar(200) not null, "registration_number" varchar(32) null, "parent_id" uuid null, "path" text collate "C" not null, "depth" smallint not null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "organisations_parent_id_index" on "organisations" ("parent_id");`);
    this.addSql(`alter table "organisations" add constraint "organisations_path_unique" unique ("path");`);
    this.addSql(`create index "organisations_registration_number_idx" on "organisations" ("registration_number");`);

    this.addSql(`create table "services" ("id" uuid not null, "code" varchar(32) not null, "name" varchar(200) not null, "description" text null, "owner_id" uuid not null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "services" add constraint "services_code_unique" unique ("code");`);
    this.addSql(`create index "services_owner_id_index" on "services" ("owner_id");`);

    this.addSql(`create table "service_roles" ("id" uuid not null, "service_id" uuid not null, "code" varchar(64) not null, "name" varchar(200) not null, "description" text null, primary key ("id"));`);
    this.addSql(`alter table "service_roles" add constraint "service_roles_service_code_unique" unique ("service_id", "code");`);

    this.addSql(`create table "sub_areas" ("id" uuid not null, "service_id" uuid not null, "code" varchar(64) not null, "name" varchar(200) not null, primary key ("id"));`);
    this.addSql(`alter table "sub_areas" add constraint "sub_areas_service_code_unique" unique ("service_id", "code");`);

    this.addSql(`create table "users" ("id" uuid not null, "employer_id" uuid not null, "given_name" varchar(100) not null, "family_name" varchar(100) not null, "email" varchar(254) null, "phone" varchar(32) null, "profile_state" text not null default 'incomplete', "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "users_employer_family_name_idx" on "users" ("employer_id", "family_name", "given_name", "id");`);
    this.addSql(`create index "users_email_idx" on "users" ("email");`);

    this.addSql(`create table "placements" ("id" uuid not null, "user_id" uuid not null, "organisation_id" uuid not null, "valid_from" timestamptz not null, "valid_to" timestamptz null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "placements_user_id_index" on "placements" ("user_id");`);
    this.addSql(`create index "placements_organisation_id_index" on "placements" ("organisation_id");`);

    this.addSql(`create table "grants" ("id" uuid not null, "user_id" uuid not null, "service_id" uuid not null, "role_id" uuid not null, "scope_id" uuid not null, "state" text not null default 'active', "valid_from" timestamptz not null, "valid_to" timestamptz null, "issued_by_id" uuid not null, "issued_by_user_id" uuid null, "ended_at" timestamptz null, "end_reason" text null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "grants_scope_id_index" on "grants" ("scope_id");`);
    this.addSql(`create index "grants_user_state_idx" on "grants" ("user_id", "state");`);
    this.addSql(`create index "grants_service_state_idx" on "grants" ("service_id", "state");`);

    this.addSql(`create table "grant_sub_areas" ("grant_id" uuid not null, "sub_area_id" uuid not null, primary key ("grant_id", "sub_area_id"));`);

    this.addSql(`create table "federated_identities" ("id" uuid not null, "user_id" uuid not null, "issuer" varchar(500) not null, "subject" varchar(255) not null, "registration_number" varchar(32) null, "assurance_level" varchar(16) null, "created_at" timestamptz not null, "last_sign_in_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "federated_identities_user_id_index" on "federated_identities" ("user_id");`);
    this.addSql(`alter table "federated_identities" add constraint "federated_identities_issuer_subject_unique" unique ("issuer", "subject");`);

    this.addSql(`create table "audit_events" ("id" uuid not null, "occurred_at" timestamptz not null, "actor_id" uuid null, "actor_identity" varchar(800) null, "action" varchar(64) not null, "target_type" varchar(64) not null, "target_id" uuid not null, "organisation_id" uuid null, "before" jsonb null, "after" jsonb null, "reason" text null, "request_id" varchar(64) null, primary key ("id"));`);
    this.addSql(`create index "audit_events_target_idx" on "audit_events" ("target_id", "occurred_at");`);
    this.addSql(`create index "audit_events_organisation_idx" on "audit_events" ("organisation_id", "occurred_at");`);

    this.addSql(`alter table "organisations" add constraint "organisations_parent_id_foreign" foreign key ("parent_id") references "organisations" ("id") on delete set null;`);
    this.addSql(`alter table "organisations" add constraint "organisations_kind_check" check ("kind" in ('authority', 'agency', 'municipality', 'region', 'coordination_association', 'supplier', 'unit'));`);

    this.addSql(`alter table "services" add constraint "services_owner_id_foreign" foreign key ("owner_id") references "organisations" ("id");`);

    this.addSql(`alter table "service_roles" add constraint "service_roles_service_id_foreign" foreign key ("service_id") references "services" ("id");`);

    this.addSql(`alter table "sub_areas" add constraint "sub_areas_service_id_foreign" foreign key ("service_id") references "services" ("id");`);

    this.addSql(`alter table "users" add constraint "users_employer_id_foreign" foreign key ("employer_id") references "organisations" ("id");`);
    this.addSql(`alter table "users" add constraint "users_profile_state_check" check ("profile_state" in ('incomplete', 'complete'));`);

    this.addSql(`alter table "placements" add constraint "placements_user_id_foreign" foreign key ("user_id") references "users" ("id");`);
    this.addSql(`alter table "placements" add constraint "placements_organisation_id_foreign" foreign key ("organisation_id") references "organisations" ("id");`);

    this.addSql(`alter table "grants" add constraint "grants_user_id_foreign" foreign key ("user_id") references "users" ("id");`);
    this.addSql(`alter table "grants" add constraint "grants_service_id_foreign" foreign key ("service_id") references "services" ("id");`);
    this.addSql(`alter table "grants" add constraint "grants_role_id_foreign" foreign key ("role_id") references "service_roles" ("id");`);
    this.addSql(`alter table "grants" add constraint "grants_scope_id_foreign" foreign key ("scope_id") references "organisations" ("id");`);
    this.addSql(`alter table "grants" add constraint "grants_issued_by_id_foreign" foreign key ("issued_by_id") references "organisations" ("id");`);
    this.addSql(`alter table "grants" add constraint "grants_issued_by_user_id_foreign" foreign key ("issued_by_user_id") references "users" ("id") on delete set null;`);
    this.addSql(`alter table "grants" add constraint "grants_state_check" check ("state" in ('active', 'suspended', 'revoked', 'expired'));`);

    this.addSql(`alter table "grant_sub_areas" add constraint "grant_sub_areas_grant_id_foreign" foreign key ("grant_id") references "grants" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "grant_sub_areas" add constraint "grant_sub_areas_sub_area_id_foreign" foreign key ("sub_area_id") references "sub_areas" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "federated_identities" add constraint "federated_identities_user_id_foreign" foreign key ("user_id") references "users" ("id");`);

    this.addSql(`alter table "audit_events" add constraint "audit_events_actor_id_foreign" foreign key ("actor_id") references "users" ("id") on delete set null;`);
    this.addSql(`alter table "audit_events" add constraint "audit_events_organisation_id_foreign" foreign key ("organisation_id") references "organisations" ("id") on delete set null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "organisations" drop constraint "organisations_parent_id_foreign";`);
    this.addSql(`alter table "services" drop constraint "services_owner_id_foreign";`);
    this.addSql(`alter table "users" drop constraint "users_employer_id_foreign";`);
    this.addSql(`alter table "placements" drop constraint "placements_organisation_id_foreign";`);
    this.addSql(`alter table "grants" drop constraint "grants_scope_id_foreign";`);
    this.addSql(`alter table "grants" drop constraint "grants_issued_by_id_foreign";`);
    this.addSql(`alter table "audit_events" drop constraint "audit_events_organisation_id_foreign";`);
    this.addSql(`alter table "service_roles" drop constraint "service_roles_service_id_foreign";`);
    this.addSql(`alter table "sub_areas" drop constraint "sub_areas_service_id_foreign";`);
    this.addSql(`alter table "grants" drop constraint "grants_service_id_foreign";`);
    this.addSql(`alter table "grants" drop constraint "grants_role_id_foreign";`);
    this.addSql(`alter table "grant_sub_areas" drop constraint "grant_sub_areas_sub_area_id_foreign";`);
    this.addSql(`alter table "placements" drop constraint "placements_user_id_foreign";`);
    this.addSql(`alter table "grants" drop constraint "grants_user_id_foreign";`);
    this.addSql(`alter table "grants" drop constraint "grants_issued_by_user_id_foreign";`);
    this.addSql(`alter table "federated_identities" drop constraint "federated_identities_user_id_foreign";`);
    this.addSql(`alter table "audit_events" drop constraint "audit_events_actor_id_foreign";`);
    this.addSql(`alter table "grant_sub_areas" drop constraint "grant_sub_areas_grant_id_foreign";`);

    this.addSql(`drop table if exists "organisations" cascade;`);
    this.addSql(`drop table if exists "services" cascade;`);
    this.addSql(`drop table if exists "service_roles" cascade;`);
    this.addSql(`drop table if exists "sub_areas" cascade;`);
    this.addSql(`drop table if exists "users" cascade;`);
    this.addSql(`drop table if exists "placements" cascade;`);
    this.addSql(`drop table if exists "grants" cascade;`);
    this.addSql(`drop table if exists "grant_sub_areas" cascade;`);
    this.addSql(`drop table if exists "federated_identities" cascade;`);
    this.addSql(`drop table if exists "audit_events" cascade;`);
  }

}
