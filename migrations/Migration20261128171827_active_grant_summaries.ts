import { Migration } from '@mikro-orm/migrations';

export class Migration20261128171827_active_grant_summaries extends Migration {

  override name = 'Migration20261128171827_active_grant_summaries';

  override up(): void | Promise<void> {
    this.addSql(`create table "grant_expiry_tallies" ("expires_on" timestamptz not null, "employer_id" uuid not null, "service_id" uuid not null, "n" int not null, primary key ("expires_on", "employer_id", "service_id"));`);

    this.addSql(`create table "idle_people_deltas" ("id" bigserial primary key, "employer_id" uuid not null, "n" int not null);`);

    this.addSql(`create table "idle_people_tallies" ("employer_id" uuid not null, "n" int not null, primary key ("employer_id"));`);

    this.addSql(`create table "person_active_grants" ("user_id" uuid not null, "n" int not null, primary key ("user_id"));`);

    this.addSql(`alter table "grant_summary_deltas" add "expires_on" timestamptz null;`);

    // The summary triggers, replaced: grant deltas carry the expiry day, and active grants are counted per person.
    this.addSql(`drop trigger if exists "grants_summary_insert_delete" on "grants";`);
    this.addSql(`drop trigger if exists "grants_summary_update" on "grants";`);
    this.addSql(`drop trigger if exists "users_summary_employer" on "users";`);
    this.addSql(`create or replace function grant_summary_delta() returns trigger language plpgsql as \$\$
declare
  k int;   holder_changed boolean := tg_op <> 'UPDATE' or old.user_id is distinct from new.user_id or old.state is distinct from new.state; begin
  if tg_op <> 'INSERT' then
    insert into grant_summary_deltas (employer_id, service_id, role_id, state, issued_month, ended_month, expires_on, n)
    select u.employer_id, old.service_id, old.role_id, old.state, date_trunc('month', old.created_at, 'UTC'), date_trunc('month', old.ended_at, 'UTC'), case when old.state = 'active' then date_trunc('day', old.valid_to, 'UTC') end, -1
    from users u where u.id = old.user_id;     if holder_changed and old.state = 'active' then
      update person_active_grants set n = n - 1 where user_id = old.user_id returning n into k;       -- Read the employer after the count row is locked: an employer change in flight has committed by then.
      if k = 0 then
        insert into idle_people_deltas (employer_id, n) select u.employer_id, 1 from users u where u.id = old.user_id and u.employer_id is not null;       end if;     end if;   end if;   if tg_op <> 'DELETE' then
    insert into grant_summary_deltas (employer_id, service_id, role_id, state, issued_month, ended_month, expires_on, n)
    select u.employer_id, new.service_id, new.role_id, new.state, date_trunc('month', new.created_at, 'UTC'), date_trunc('month', new.ended_at, 'UTC'), case when new.state = 'active' then date_trunc('day', new.valid_to, 'UTC') end, 1
    from users u where u.id = new.user_id;     if holder_changed and new.state = 'active' then
      insert into person_active_grants as p (user_id, n) values (new.user_id, 1)
      on conflict (user_id) do update set n = p.n + 1 returning n into k;       if k = 1 then
        insert into idle_people_deltas (employer_id, n) select u.employer_id, -1 from users u where u.id = new.user_id and u.employer_id is not null;       end if;     end if;   end if;   return null; end \$\$;;`);
    this.addSql(`create trigger grants_summary_insert_delete after insert or delete on grants for each row execute function grant_summary_delta();`);
    this.addSql(`create or replace function grant_summary_employer_change() returns trigger language plpgsql as \$\$
declare
  k int; begin
  if tg_op = 'INSERT' then
    insert into idle_people_deltas (employer_id, n) select new.employer_id, 1 where new.employer_id is not null;     return null;   end if;   if tg_op = 'DELETE' then
    insert into idle_people_deltas (employer_id, n) select old.employer_id, -1
    where old.employer_id is not null and coalesce((select n from person_active_grants where user_id = old.id), 0) = 0;     return null;   end if;   if old.employer_id is not distinct from new.employer_id then
    return null;   end if;   insert into grant_summary_deltas (employer_id, service_id, role_id, state, issued_month, ended_month, expires_on, n)
  select x.employer_id, g.service_id, g.role_id, g.state, date_trunc('month', g.created_at, 'UTC'), date_trunc('month', g.ended_at, 'UTC'), case when g.state = 'active' then date_trunc('day', g.valid_to, 'UTC') end, x.n
  from grants g cross join (values (old.employer_id, -1), (new.employer_id, 1)) as x (employer_id, n)
  where g.user_id = new.id;   -- Lock the person's count, so a grant changing at the same time sees one employer or the other, never both.
  insert into person_active_grants as p (user_id, n) values (new.id, 0) on conflict (user_id) do update set n = p.n returning n into k;   if k = 0 then
    insert into idle_people_deltas (employer_id, n)
    select x.employer_id, x.n from (values (old.employer_id, -1), (new.employer_id, 1)) as x (employer_id, n) where x.employer_id is not null;   end if;   return null; end \$\$;;`);
    this.addSql(`create trigger users_summary_employer after insert or delete or update of employer_id on users for each row
  execute function grant_summary_employer_change();`);
    this.addSql(`create trigger grants_summary_update after update on grants for each row
  when ((old.user_id, old.service_id, old.role_id, old.state, old.created_at, old.ended_at, old.valid_to) is distinct from (new.user_id, new.service_id, new.role_id, new.state, new.created_at, new.ended_at, new.valid_to))
  execute function grant_summary_delta();`);

    // The grants and people that exist already.
    this.addSql(`insert into person_active_grants (user_id, n) select user_id, count(*) from grants where state = 'active' group by 1;`);
    this.addSql(`insert into idle_people_tallies (employer_id, n)
    select u.employer_id, count(*) from users u where u.employer_id is not null and not exists (select 1 from person_active_grants p where p.user_id = u.id) group by 1;`);
    this.addSql(`insert into grant_expiry_tallies (expires_on, employer_id, service_id, n)
    select date_trunc('day', g.valid_to, 'UTC'), u.employer_id, g.service_id, count(*) from grants g join users u on u.id = g.user_id
    where g.state = 'active' and g.valid_to is not null group by 1, 2, 3;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "grant_expiry_tallies" cascade;`);
    this.addSql(`drop table if exists "idle_people_deltas" cascade;`);
    this.addSql(`drop table if exists "idle_people_tallies" cascade;`);
    this.addSql(`drop table if exists "person_active_grants" cascade;`);

    this.addSql(`alter table "grant_summary_deltas" drop column "expires_on";`);

    this.addSql(`drop trigger if exists "grants_summary_insert_delete" on "grants";`);
    this.addSql(`drop function if exists "grants_grants_summary_insert_delete_fn"();`);
    this.addSql(`drop trigger if exists "grants_summary_update" on "grants";`);
    this.addSql(`drop function if exists "grants_grants_summary_update_fn"();`);
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

    this.addSql(`drop trigger if exists "users_summary_employer" on "users";`);
    this.addSql(`drop function if exists "users_users_summary_employer_fn"();`);
    this.addSql(`create or replace function grant_summary_employer_change() returns trigger language plpgsql as \$\$begin
  insert into grant_summary_deltas (employer_id, service_id, role_id, state, issued_month, ended_month, n)
  select x.employer_id, g.service_id, g.role_id, g.state, date_trunc('month', g.created_at, 'UTC'), date_trunc('month', g.ended_at, 'UTC'), x.n
  from grants g cross join (values (old.employer_id, -1), (new.employer_id, 1)) as x (employer_id, n)
  where g.user_id = new.id;   return null; end \$\$;`);
    this.addSql(`create trigger users_summary_employer after update of employer_id on users for each row
  when (old.employer_id is distinct from new.employer_id) execute function grant_summary_employer_change();`);
  }

}
