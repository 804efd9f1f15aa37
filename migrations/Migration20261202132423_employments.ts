import { Migration } from '@mikro-orm/migrations';

export class Migration20261202132423_employments extends Migration {

  override name = 'Migration20261202132423_employments';

  override up(): void | Promise<void> {
    this.addSql(`create table "employments" ("id" uuid not null, "user_id" uuid not null, "employer_id" uuid not null, "valid_from" timestamptz not null, "valid_to" timestamptz null, "end_reason" text null, "ended_by_id" uuid null, "end_applied_at" timestamptz null, "created_by_id" uuid null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "employments_user_id_index" on "employments" ("user_id");`);
    this.addSql(`create index "employments_employer_id_index" on "employments" ("employer_id");`);
    this.addSql(`create index "employments_due_end_idx" on "employments" ("valid_to") where "end_applied_at" is null and "valid_to" is not null;`);

    this.addSql(`alter table "employments" add constraint "employments_user_id_foreign" foreign key ("user_id") references "users" ("id");`);
    this.addSql(`alter table "employments" add constraint "employments_employer_id_foreign" foreign key ("employer_id") references "organisations" ("id");`);
    this.addSql(`alter table "employments" add constraint "employments_ended_by_id_foreign" foreign key ("ended_by_id") references "users" ("id") on delete set null;`);
    this.addSql(`alter table "employments" add constraint "employments_created_by_id_foreign" foreign key ("created_by_id") references "users" ("id") on delete set null;`);
    // The viewer statement reads employments (a leaver's sign-in is refused): a change must drop cached viewers.
    this.addSql(`create trigger employments_authorization_changed after insert or update or delete on employments for each statement execute function hub_authorization_changed();`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger if exists employments_authorization_changed on employments;`);
    this.addSql(`drop table if exists "employments" cascade;`);
  }

}
