import { Migration } from '@mikro-orm/migrations';

export class Migration20261123014304_report_summaries extends Migration {

  override name = 'Migration20261123014304_report_summaries';

  override up(): void | Promise<void> {
    this.addSql(`create table "grant_month_flows" ("month" timestamptz not null, "employer_id" uuid not null, "service_id" uuid not null, "issued" int not null, "ended" int not null, primary key ("month", "employer_id", "service_id"));`);

    this.addSql(`create table "grant_summary_deltas" ("id" bigserial primary key, "employer_id" uuid not null, "service_id" uuid not null, "role_id" uuid not null, "state" varchar(16) not null, "issued_month" timestamptz not null, "ended_month" timestamptz null, "n" int not null);`);

    this.addSql(`create table "grant_tallies" ("employer_id" uuid not null, "service_id" uuid not null, "role_id" uuid not null, "state" varchar(16) not null, "n" int not null, primary key ("employer_id", "service_id", "role_id", "state"));`);

    this.addSql(`create table "grant_tally_snapshots" ("taken_at" timestamptz not null, "employer_id" uuid not null, "service_id" uuid not null, "role_id" uuid not null, "state" varchar(16) not null, "n" int not null, primary key ("taken_at", "employer_id", "service_id", "role_id", "state"));`);

    this.addSql(`create or replace function grant_summary_employer_change() returns trigger language plpgsql as \$\$begin
  insert into grant_summary_deltas (employer_id, service_id, role_id, state, issued_month, ended_month, n)
  select x.employer_id, g.service_id, g.role_id, g.state, date_trunc('month', g.created_at, 'UTC'), date_trunc('month', g.ended_at, 'UTC'), x.n
  from grants g cross join (values (old.employer_id, -1), (new.employer_id, 1)) as x (employer_id, n)
  where g.user_id = new.id;   return null; end \$\$;`);
    this.addSql(`create trigger users_summary_employer after update of employer_id on users for each row
  when (old.employer_id is distinct from new.employer_id) execute function grant_summary_employer_change();`);

    this.addSql(`create index "grants_created_at_idx" on "grants" ("created_at");`);
    this.addSql(`create index "grants_valid_from_idx" on "grants" ("valid_from");`);
    this.addSql(`create index "grants_valid_to_idx" on "grants" ("valid_to");`);
    this.addSql(`create index "grants_ended_at_idx" on "grants" ("ended_at");`);
    this.addSql(`create index "grants_suspended_at_idx" on "grants" ("suspended_at");`);
    this.addSql(`create or replace function grant_summary_delta() returns trigger language plpgsql as \$\$begin
  if tg_op <> 'INSERT' then
    insert into grant_summary_deltas (employer_id, service_id, role_id, state, issued_month, ended_month, n)
    select u.employer_id, old.service_id, old.role_id, old.state, date_trunc('month', old.created_at, 'UTC'), date_trunc('month', old.ended_at, 'UTC'), -1
    from users u where u.id = old.user_id;   end if;   if tg_op <> 'DELETE' then
    insert into grant_summary_deltas (employer_id, service_id, role_id, state, issued_month, ended_month, n)
    select u.employer_id, new.service_id, new.role_id, new.state, date_trunc('month', new.created_at, 'UTC'), date_trunc('month', new.ended_at, 'UTC'), 1
    from users u where u.id = new.user_id;   end if;   return null; end \$\$;`);
    this.addSql(`create trigger grants_summary_insert_delete after insert or delete on grants for each row execute function grant_summary_delta();`);
    this.addSql(`create trigger grants_summary_update after update on grants for each row
  when ((old.user_id, old.service_id, old.role_id, old.state, old.created_at, old.ended_at) is distinct from (new.user_id, new.service_id, new.role_id, new.state, new.created_at, new.ended_at))
  execute function grant_summary_delta();`);

    // The grants that exist already; monthly snapshots are taken by the summary job.
    this.addSql(`insert into grant_tallies (employer_id, service_id, role_id, state, n)
      select u.employer_id, g.service_id, g.role_id, g.state, count(*) from grants g join users u on u.id = g.user_id group by 1, 2, 3, 4;`);
    this.addSql(`insert into grant_month_flows (month, employer_id, service_id, issued, ended)
      select month, employer_id, service_id, sum(issued), sum(ended) from (
        select date_trunc('month', g.created_at, 'UTC') as month, u.employer_id, g.service_id, 1 as issued, 0 as ended from grants g join users u on u.id = g.user_id
        union all
        select date_trunc('month', g.ended_at, 'UTC'), u.employer_id, g.service_id, 0, 1 from grants g join users u on u.id = g.user_id where g.ended_at is not null
      ) x group by 1, 2, 3;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "grant_month_flows" cascade;`);
    this.addSql(`drop table if exists "grant_summary_deltas" cascade;`);
    this.addSql(`drop table if exists "grant_tallies" cascade;`);
    this.addSql(`drop table if exists "grant_tally_snapshots" cascade;`);

    this.addSql(`drop index "grants_created_at_idx";`);
    this.addSql(`drop index "grants_valid_from_idx";`);
    this.addSql(`drop index "grants_valid_to_idx";`);
    this.addSql(`drop index "grants_ended_at_idx";`);
    this.addSql(`drop index "grants_suspended_at_idx";`);
    this.addSql(`drop trigger if exists "grants_summary_insert_delete" on "grants";`);
    this.addSql(`drop function if exists grant_summary_delta();`);
    this.addSql(`drop trigger if exists "grants_summary_update" on "grants";`);

    this.addSql(`drop trigger if exists "users_summary_employer" on "users";`);
    this.addSql(`drop function if exists grant_summary_employer_change();`);
  }

}
