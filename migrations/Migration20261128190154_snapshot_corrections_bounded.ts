import { Migration } from '@mikro-orm/migrations';

export class Migration20261128190154_snapshot_corrections_bounded extends Migration {

  override name = 'Migration20261128190154_snapshot_corrections_bounded';

  override up(): void | Promise<void> {
    this.addSql(`drop trigger if exists "grants_summary_insert_delete" on "grants";`);
    this.addSql(`drop function if exists "grants_grants_summary_insert_delete_fn"();`);
    this.addSql(`create or replace function grant_summary_delta() returns trigger language plpgsql as \$\$declare
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
        insert into idle_people_deltas (employer_id, n) select u.employer_id, -1 from users u where u.id = new.user_id and u.employer_id is not null;       end if;     end if;   end if;   if tg_op = 'UPDATE' and least(
    case when old.created_at is distinct from new.created_at then least(old.created_at, new.created_at) end,
    case when old.valid_from is distinct from new.valid_from then least(old.valid_from, new.valid_from) end,
    case when old.valid_to is distinct from new.valid_to then least(old.valid_to, new.valid_to) end,
    case when old.ended_at is distinct from new.ended_at then least(old.ended_at, new.ended_at) end,
    case when old.suspended_at is distinct from new.suspended_at then least(old.suspended_at, new.suspended_at) end,
    case when old.state is distinct from new.state then least(old.ended_at, new.ended_at) end,
    case when (old.user_id, old.service_id, old.role_id) is distinct from (new.user_id, new.service_id, new.role_id)
      then least(old.created_at, old.valid_from, new.created_at, new.valid_from) end) <= now() then
    perform pg_advisory_xact_lock_shared(7240002);     insert into grant_tally_snapshots as s (taken_at, employer_id, service_id, role_id, state, n)
    select taken_at, employer_id, service_id, role_id, state, sum(n) from (
      select m.taken_at, u.employer_id, old.service_id, old.role_id, case
    when old.ended_at is not null and old.ended_at <= m.taken_at then old.state
    when old.valid_to is not null and old.valid_to <= m.taken_at then 'expired'
    when old.suspended_at is not null and old.suspended_at <= m.taken_at then 'suspended'
    else 'active' end as state, -1 as n
    from (select mm at time zone 'UTC' as taken_at
  from generate_series(date_trunc('month', (least(
    case when old.created_at is distinct from new.created_at then least(old.created_at, new.created_at) end,
    case when old.valid_from is distinct from new.valid_from then least(old.valid_from, new.valid_from) end,
    case when old.valid_to is distinct from new.valid_to then least(old.valid_to, new.valid_to) end,
    case when old.ended_at is distinct from new.ended_at then least(old.ended_at, new.ended_at) end,
    case when old.suspended_at is distinct from new.suspended_at then least(old.suspended_at, new.suspended_at) end,
    case when old.state is distinct from new.state then least(old.ended_at, new.ended_at) end,
    case when (old.user_id, old.service_id, old.role_id) is distinct from (new.user_id, new.service_id, new.role_id)
      then least(old.created_at, old.valid_from, new.created_at, new.valid_from) end)) at time zone 'UTC'), now() at time zone 'UTC', interval '1 month') mm
  where exists (select 1 from grant_tally_snapshots s where s.taken_at = mm at time zone 'UTC')) m join users u on u.id = old.user_id
    where old.created_at <= m.taken_at and old.valid_from <= m.taken_at
      union all select m.taken_at, u.employer_id, new.service_id, new.role_id, case
    when new.ended_at is not null and new.ended_at <= m.taken_at then new.state
    when new.valid_to is not null and new.valid_to <= m.taken_at then 'expired'
    when new.suspended_at is not null and new.suspended_at <= m.taken_at then 'suspended'
    else 'active' end as state, 1 as n
    from (select mm at time zone 'UTC' as taken_at
  from generate_series(date_trunc('month', (least(
    case when old.created_at is distinct from new.created_at then least(old.created_at, new.created_at) end,
    case when old.valid_from is distinct from new.valid_from then least(old.valid_from, new.valid_from) end,
    case when old.valid_to is distinct from new.valid_to then least(old.valid_to, new.valid_to) end,
    case when old.ended_at is distinct from new.ended_at then least(old.ended_at, new.ended_at) end,
    case when old.suspended_at is distinct from new.suspended_at then least(old.suspended_at, new.suspended_at) end,
    case when old.state is distinct from new.state then least(old.ended_at, new.ended_at) end,
    case when (old.user_id, old.service_id, old.role_id) is distinct from (new.user_id, new.service_id, new.role_id)
      then least(old.created_at, old.valid_from, new.created_at, new.valid_from) end)) at time zone 'UTC'), now() at time zone 'UTC', interval '1 month') mm
  where exists (select 1 from grant_tally_snapshots s where s.taken_at = mm at time zone 'UTC')) m join users u on u.id = new.user_id
    where new.created_at <= m.taken_at and new.valid_from <= m.taken_at
    ) c group by 1, 2, 3, 4, 5 having sum(n) <> 0 order by 1, 2, 3, 4, 5
    on conflict (taken_at, employer_id, service_id, role_id, state) do update set n = s.n + excluded.n;   end if;   return null; end \$\$;`);
    this.addSql(`create trigger grants_summary_insert_delete after insert or delete on grants for each row execute function grant_summary_delta();`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger if exists "grants_summary_insert_delete" on "grants";`);
    this.addSql(`drop function if exists "grants_grants_summary_insert_delete_fn"();`);
    this.addSql(`create or replace function grant_summary_delta() returns trigger language plpgsql as \$\$declare
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
        insert into idle_people_deltas (employer_id, n) select u.employer_id, -1 from users u where u.id = new.user_id and u.employer_id is not null;       end if;     end if;   end if;   if tg_op = 'UPDATE' then
    perform pg_advisory_xact_lock_shared(7240002);     insert into grant_tally_snapshots as s (taken_at, employer_id, service_id, role_id, state, n)
    select taken_at, employer_id, service_id, role_id, state, sum(n) from (
      select m.taken_at, u.employer_id, old.service_id, old.role_id, case
    when old.ended_at is not null and old.ended_at <= m.taken_at then old.state
    when old.valid_to is not null and old.valid_to <= m.taken_at then 'expired'
    when old.suspended_at is not null and old.suspended_at <= m.taken_at then 'suspended'
    else 'active' end as state, -1 as n
    from (select mm at time zone 'UTC' as taken_at
  from generate_series(date_trunc('month', (least(old.created_at, old.valid_from, new.created_at, new.valid_from)) at time zone 'UTC'), now() at time zone 'UTC', interval '1 month') mm
  where exists (select 1 from grant_tally_snapshots s where s.taken_at = mm at time zone 'UTC')) m join users u on u.id = old.user_id
    where old.created_at <= m.taken_at and old.valid_from <= m.taken_at
      union all select m.taken_at, u.employer_id, new.service_id, new.role_id, case
    when new.ended_at is not null and new.ended_at <= m.taken_at then new.state
    when new.valid_to is not null and new.valid_to <= m.taken_at then 'expired'
    when new.suspended_at is not null and new.suspended_at <= m.taken_at then 'suspended'
    else 'active' end as state, 1 as n
    from (select mm at time zone 'UTC' as taken_at
  from generate_series(date_trunc('month', (least(old.created_at, old.valid_from, new.created_at, new.valid_from)) at time zone 'UTC'), now() at time zone 'UTC', interval '1 month') mm
  where exists (select 1 from grant_tally_snapshots s where s.taken_at = mm at time zone 'UTC')) m join users u on u.id = new.user_id
    where new.created_at <= m.taken_at and new.valid_from <= m.taken_at
    ) c group by 1, 2, 3, 4, 5 having sum(n) <> 0 order by 1, 2, 3, 4, 5
    on conflict (taken_at, employer_id, service_id, role_id, state) do update set n = s.n + excluded.n;   end if;   return null; end \$\$;`);
    this.addSql(`create trigger grants_summary_insert_delete after insert or delete on grants for each row execute function grant_summary_delta();`);
  }

}
