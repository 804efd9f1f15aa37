import { Migration } from '@mikro-orm/migrations';

export class Migration20261202181000_people_over_time extends Migration {

  override name = 'Migration20261202181000_people_over_time';

  override up(): void | Promise<void> {
    this.addSql(`create table "invitations" ("id" uuid not null, "user_id" uuid not null, "code_hash" varchar(64) not null, "expires_at" timestamptz not null, "used_at" timestamptz null, "created_by_id" uuid null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "invitations_user_id_index" on "invitations" ("user_id");`);
    this.addSql(`alter table "invitations" add constraint "invitations_code_hash_unique" unique ("code_hash");`);

    this.addSql(`create table "grant_reviews" ("id" uuid not null, "grant_id" uuid not null, "user_id" uuid not null, "service_id" uuid not null, "issuer_id" uuid not null, "employment_id" uuid not null, "deadline" timestamptz not null, "state" text not null default 'pending', "decided_by_id" uuid null, "decided_at" timestamptz null, "reason" text null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "grant_reviews_grant_id_index" on "grant_reviews" ("grant_id");`);
    this.addSql(`create index "grant_reviews_user_id_index" on "grant_reviews" ("user_id");`);
    this.addSql(`create index "grant_reviews_issuer_idx" on "grant_reviews" ("service_id", "issuer_id", "state");`);
    this.addSql(`create index "grant_reviews_due_idx" on "grant_reviews" ("deadline") where "state" = 'pending';`);

    this.addSql(`alter table "placements" add "created_by_id" uuid null, add "ended_by_id" uuid null;`);
    this.addSql(`alter table "placements" add constraint "placements_created_by_id_foreign" foreign key ("created_by_id") references "users" ("id") on delete set null;`);
    this.addSql(`alter table "placements" add constraint "placements_ended_by_id_foreign" foreign key ("ended_by_id") references "users" ("id") on delete set null;`);

    this.addSql(`alter table "employments" add "previous_id" uuid null, add "move_applied_at" timestamptz null;`);
    this.addSql(`alter table "employments" add constraint "employments_previous_id_foreign" foreign key ("previous_id") references "employments" ("id") on delete set null;`);
    this.addSql(`create index "employments_due_move_idx" on "employments" ("valid_from") where "move_applied_at" is null and "previous_id" is not null;`);

    this.addSql(`alter table "invitations" add constraint "invitations_user_id_foreign" foreign key ("user_id") references "users" ("id");`);
    this.addSql(`alter table "invitations" add constraint "invitations_created_by_id_foreign" foreign key ("created_by_id") references "users" ("id") on delete set null;`);

    this.addSql(`alter table "grant_reviews" add constraint "grant_reviews_grant_id_foreign" foreign key ("grant_id") references "grants" ("id");`);
    this.addSql(`alter table "grant_reviews" add constraint "grant_reviews_user_id_foreign" foreign key ("user_id") references "users" ("id");`);
    this.addSql(`alter table "grant_reviews" add constraint "grant_reviews_service_id_foreign" foreign key ("service_id") references "services" ("id");`);
    this.addSql(`alter table "grant_reviews" add constraint "grant_reviews_issuer_id_foreign" foreign key ("issuer_id") references "organisations" ("id");`);
    this.addSql(`alter table "grant_reviews" add constraint "grant_reviews_employment_id_foreign" foreign key ("employment_id") references "employments" ("id");`);
    this.addSql(`alter table "grant_reviews" add constraint "grant_reviews_decided_by_id_foreign" foreign key ("decided_by_id") references "users" ("id") on delete set null;`);
    this.addSql(`alter table "grant_reviews" add constraint "grant_reviews_state_check" check ("state" in ('pending', 'confirmed', 'ended'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "invitations" cascade;`);
    this.addSql(`drop table if exists "grant_reviews" cascade;`);

    this.addSql(`alter table "employments" drop constraint "employments_previous_id_foreign";`);

    this.addSql(`alter table "placements" drop constraint "placements_created_by_id_foreign";`);
    this.addSql(`alter table "placements" drop constraint "placements_ended_by_id_foreign";`);

    this.addSql(`drop index "employments_due_move_idx";`);
    this.addSql(`alter table "employments" drop column "previous_id", drop column "move_applied_at";`);

    this.addSql(`alter table "placements" drop column "created_by_id", drop column "ended_by_id";`);
  }

}
