/*
 * The triggers that keep the report summaries (see summary.entity.ts). Declared on the Grant and User
 * entities as raw DDL, so the schema diff knows them by name and never proposes to drop them.
 * Every change of a grant's summary key appends −1 for the old row image and +1 for the new one, in
 * the changing transaction: no shared row is locked, so writers never wait on each other. The one
 * row locked is the holder's own count of active grants (person_active_grants), whose 0 ↔ 1
 * transitions keep the per-employer tally of people without an active grant.
 */

import { Sql } from '../db/sql.js';
import { existedAt, SNAPSHOT_LOCK, stateAt } from './summaries.js';

/**
 * The monthly snapshots already taken from the month of \`from\` on (rows \`taken_at\`): one index probe a
 * month, never a scan of the snapshot table.
 */
const takenSnapshots = (from: string) => `(select mm at time zone 'UTC' as taken_at
  from generate_series(date_trunc('month', (${from}) at time zone 'UTC'), now() at time zone 'UTC', interval '1 month') mm
  where exists (select 1 from grant_tally_snapshots s where s.taken_at = mm at time zone 'UTC'))`;

/**
 * The earliest moment whose state an update can change, null when none: a date column that changed
 * (from the earlier of its two values on), the stored state of an ended grant (from its end), or the
 * grant moving to another holder, service or role (from its start). A revocation or suspension now,
 * or an expiry at validTo, reaches no snapshot already taken, so the correction below reads nothing.
 */
const EARLIEST_CHANGE = `least(
    ${['created_at', 'valid_from', 'valid_to', 'ended_at', 'suspended_at'].map((c) => `case when old.${c} is distinct from new.${c} then least(old.${c}, new.${c}) end`).join(',\n    ')},
    case when old.state is distinct from new.state then least(old.ended_at, new.ended_at) end,
    case when (old.user_id, old.service_id, old.role_id) is distinct from (new.user_id, new.service_id, new.role_id)
      then least(old.created_at, old.valid_from, new.created_at, new.valid_from) end)`;

/** A grant row image's contribution to the snapshots at m.taken_at, counted n, for the holder's employer e. */
const snapshotPart = (g: string, n: number) =>
  `select m.taken_at, u.employer_id, ${g}.service_id, ${g}.role_id, ${stateAt(g, Sql.raw('m.taken_at')).text} as state, ${n} as n
    from ${takenSnapshots(EARLIEST_CHANGE)} m join users u on u.id = ${g}.user_id
    where ${existedAt(g, Sql.raw('m.taken_at')).text}`;

/**
 * Snapshots hold each grant by its dates, like the raw history they must agree with: a change that
 * rewrites a past moment (an end corrected or renewed across a month start, a resumed suspension)
 * moves the grant between the snapshots' states. Everyday changes (a revocation now, a new grant)
 * leave every past month as it was, net zero, and write nothing. The shared lock keeps a snapshot
 * from being taken meanwhile (the taker skips a round instead).
 */
const SNAPSHOT_CORRECTION = `if tg_op = 'UPDATE' and ${EARLIEST_CHANGE} <= now() then
    perform pg_advisory_xact_lock_shared(${SNAPSHOT_LOCK});
    insert into grant_tally_snapshots as s (taken_at, employer_id, service_id, role_id, state, n)
    select taken_at, employer_id, service_id, role_id, state, sum(n) from (
      ${snapshotPart('old', -1)}
      union all ${snapshotPart('new', 1)}
    ) c group by 1, 2, 3, 4, 5 having sum(n) <> 0 order by 1, 2, 3, 4, 5
    on conflict (taken_at, employer_id, service_id, role_id, state) do update set n = s.n + excluded.n;
  end if;`;

const deltaColumns = 'employer_id, service_id, role_id, state, issued_month, ended_month, expires_on, n';
/** The UTC day of validTo while stored active: what grant_expiry_tallies are keyed by. */
const expiresOn = (g: string) => `case when ${g}.state = 'active' then date_trunc('day', ${g}.valid_to, 'UTC') end`;

export const GRANT_SUMMARY_TRIGGER = `create or replace function grant_summary_delta() returns trigger language plpgsql as $$
declare
  k int;
  holder_changed boolean := tg_op <> 'UPDATE' or old.user_id is distinct from new.user_id or old.state is distinct from new.state;
begin
  if tg_op <> 'INSERT' then
    insert into grant_summary_deltas (${deltaColumns})
    select u.employer_id, old.service_id, old.role_id, old.state, date_trunc('month', old.created_at, 'UTC'), date_trunc('month', old.ended_at, 'UTC'), ${expiresOn('old')}, -1
    from users u where u.id = old.user_id;
    if holder_changed and old.state = 'active' then
      update person_active_grants set n = n - 1 where user_id = old.user_id returning n into k;
      -- Read the employer after the count row is locked: an employer change in flight has committed by then.
      if k = 0 then
        insert into idle_people_deltas (employer_id, n) select u.employer_id, 1 from users u where u.id = old.user_id and u.employer_id is not null;
      end if;
    end if;
  end if;
  if tg_op <> 'DELETE' then
    insert into grant_summary_deltas (${deltaColumns})
    select u.employer_id, new.service_id, new.role_id, new.state, date_trunc('month', new.created_at, 'UTC'), date_trunc('month', new.ended_at, 'UTC'), ${expiresOn('new')}, 1
    from users u where u.id = new.user_id;
    if holder_changed and new.state = 'active' then
      insert into person_active_grants as p (user_id, n) values (new.user_id, 1)
      on conflict (user_id) do update set n = p.n + 1 returning n into k;
      if k = 1 then
        insert into idle_people_deltas (employer_id, n) select u.employer_id, -1 from users u where u.id = new.user_id and u.employer_id is not null;
      end if;
    end if;
  end if;
  ${SNAPSHOT_CORRECTION}
  return null;
end $$;
create trigger grants_summary_insert_delete after insert or delete on grants for each row execute function grant_summary_delta()`;

export const GRANT_SUMMARY_UPDATE_TRIGGER = `create trigger grants_summary_update after update on grants for each row
  when ((old.user_id, old.service_id, old.role_id, old.state, old.created_at, old.ended_at, old.valid_to, old.valid_from, old.suspended_at)
    is distinct from (new.user_id, new.service_id, new.role_id, new.state, new.created_at, new.ended_at, new.valid_to, new.valid_from, new.suspended_at))
  execute function grant_summary_delta()`;

/**
 * A person who changes employer takes their grants along: −1 at the old employer, +1 at the new; a
 * person without an active grant moves between the idle tallies. A new person has no grant yet.
 */
export const USER_EMPLOYER_SUMMARY_TRIGGER = `create or replace function grant_summary_employer_change() returns trigger language plpgsql as $$
declare
  k int;
begin
  if tg_op = 'INSERT' then
    insert into idle_people_deltas (employer_id, n) select new.employer_id, 1 where new.employer_id is not null;
    return null;
  end if;
  if tg_op = 'DELETE' then
    insert into idle_people_deltas (employer_id, n) select old.employer_id, -1
    where old.employer_id is not null and coalesce((select n from person_active_grants where user_id = old.id), 0) = 0;
    return null;
  end if;
  if old.employer_id is not distinct from new.employer_id then
    return null;
  end if;
  insert into grant_summary_deltas (${deltaColumns})
  select x.employer_id, g.service_id, g.role_id, g.state, date_trunc('month', g.created_at, 'UTC'), date_trunc('month', g.ended_at, 'UTC'), ${expiresOn('g')}, x.n
  from grants g cross join (values (old.employer_id, -1), (new.employer_id, 1)) as x (employer_id, n)
  where g.user_id = new.id;
  -- Snapshots count grants under their holder's employer as the raw history does (the current one): move them too.
  perform pg_advisory_xact_lock_shared(${SNAPSHOT_LOCK});
  insert into grant_tally_snapshots as s (taken_at, employer_id, service_id, role_id, state, n)
  select m.taken_at, x.employer_id, g.service_id, g.role_id, ${stateAt('g', Sql.raw('m.taken_at')).text}, sum(x.n)
  from grants g
    join ${takenSnapshots(`select min(least(h.created_at, h.valid_from)) from grants h where h.user_id = new.id`)} m on ${existedAt('g', Sql.raw('m.taken_at')).text}
    cross join (values (old.employer_id, -1), (new.employer_id, 1)) as x (employer_id, n)
  where g.user_id = new.id and x.employer_id is not null
  group by 1, 2, 3, 4, 5 order by 1, 2, 3, 4, 5
  on conflict (taken_at, employer_id, service_id, role_id, state) do update set n = s.n + excluded.n;
  -- Lock the person's count, so a grant changing at the same time sees one employer or the other, never both.
  insert into person_active_grants as p (user_id, n) values (new.id, 0) on conflict (user_id) do update set n = p.n returning n into k;
  if k = 0 then
    insert into idle_people_deltas (employer_id, n)
    select x.employer_id, x.n from (values (old.employer_id, -1), (new.employer_id, 1)) as x (employer_id, n) where x.employer_id is not null;
  end if;
  return null;
end $$;
create trigger users_summary_employer after insert or delete or update of employer_id on users for each row
  execute function grant_summary_employer_change()`;
