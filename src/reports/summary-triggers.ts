/*
 * The triggers that keep the report summaries (see summary.entity.ts). Declared on the Grant and User
 * entities as raw DDL, so the schema diff knows them by name and never proposes to drop them.
 * Every change of a grant's summary key appends −1 for the old row image and +1 for the new one, in
 * the changing transaction: no shared row is locked, so writers never wait on each other.
 */

const deltaColumns = 'employer_id, service_id, role_id, state, issued_month, ended_month, n';

export const GRANT_SUMMARY_TRIGGER = `create or replace function grant_summary_delta() returns trigger language plpgsql as $$
begin
  if tg_op <> 'INSERT' then
    insert into grant_summary_deltas (${deltaColumns})
    select u.employer_id, old.service_id, old.role_id, old.state, date_trunc('month', old.created_at, 'UTC'), date_trunc('month', old.ended_at, 'UTC'), -1
    from users u where u.id = old.user_id;
  end if;
  if tg_op <> 'DELETE' then
    insert into grant_summary_deltas (${deltaColumns})
    select u.employer_id, new.service_id, new.role_id, new.state, date_trunc('month', new.created_at, 'UTC'), date_trunc('month', new.ended_at, 'UTC'), 1
    from users u where u.id = new.user_id;
  end if;
  return null;
end $$;
create trigger grants_summary_insert_delete after insert or delete on grants for each row execute function grant_summary_delta()`;

export const GRANT_SUMMARY_UPDATE_TRIGGER = `create trigger grants_summary_update after update on grants for each row
  when ((old.user_id, old.service_id, old.role_id, old.state, old.created_at, old.ended_at) is distinct from (new.user_id, new.service_id, new.role_id, new.state, new.created_at, new.ended_at))
  execute function grant_summary_delta()`;

/** A person who changes employer takes their grants along: −1 at the old employer, +1 at the new. */
export const USER_EMPLOYER_SUMMARY_TRIGGER = `create or replace function grant_summary_employer_change() returns trigger language plpgsql as $$
begin
  insert into grant_summary_deltas (${deltaColumns})
  select x.employer_id, g.service_id, g.role_id, g.state, date_trunc('month', g.created_at, 'UTC'), date_trunc('month', g.ended_at, 'UTC'), x.n
  from grants g cross join (values (old.employer_id, -1), (new.employer_id, 1)) as x (employer_id, n)
  where g.user_id = new.id;
  return null;
end $$;
create trigger users_summary_employer after update of employer_id on users for each row
  when (old.employer_id is distinct from new.employer_id) execute function grant_summary_employer_change()`;
