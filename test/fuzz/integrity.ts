import { execute, sql, Sql } from '../../src/db/sql.js';
import type { TestDatabase } from '../support/database.js';

/**
 * What must hold in the database whatever requests came in: each a query for the rows that break
 * it. The invariants come from the services (one transaction per change, one audit event per
 * change) and the migrations (the summary triggers). `since` is when the demo dataset was loaded:
 * rows made after it were made through the API, rows before it by the seeder, which writes no audit.
 */
export function invariants(since: Date): { name: string; query: Sql }[] {
  const t0 = since.toISOString();
  return [
    {
      name: 'an order is approved exactly when it has a grant, and the grant is what was ordered',
      query: sql`select o.id, o.state, o.grant_id from orders o left join grants g on g.id = o.grant_id
        where (o.state = 'approved') <> (g.id is not null)
          or (g.id is not null and (g.user_id, g.service_id, g.role_id, g.scope_id) is distinct from (o.user_id, o.service_id, o.role_id, o.scope_id))`,
    },
    {
      name: 'a grant comes from one order at most',
      query: sql`select grant_id, count(*)::int as orders from orders where grant_id is not null group by 1 having count(*) > 1`,
    },
    {
      name: 'every grant made through the API comes from an approved order and has one grant.issue audit event',
      query: sql`select g.id, (select count(*)::int from audit_events a where a.target_type = 'Grant' and a.target_id = g.id and a.action = 'grant.issue') as issued
        from grants g where g.created_at >= ${t0}::timestamptz
          and (not exists (select 1 from orders o where o.grant_id = g.id and o.state = 'approved')
            or (select count(*) from audit_events a where a.target_type = 'Grant' and a.target_id = g.id and a.action = 'grant.issue') <> 1)`,
    },
    {
      name: 'every audit event is about an object that exists',
      query: sql`select a.id, a.action, a.target_type, a.target_id from audit_events a
        where not exists (select 1 from grants t where a.target_type = 'Grant' and t.id = a.target_id)
          and not exists (select 1 from orders t where a.target_type = 'Order' and t.id = a.target_id)
          and not exists (select 1 from users t where a.target_type = 'User' and t.id = a.target_id)
          and not exists (select 1 from issuer_mandates t where a.target_type = 'IssuerMandate' and t.id = a.target_id)
          and not exists (select 1 from orderer_appointments t where a.target_type = 'OrdererAppointment' and t.id = a.target_id)
          and not exists (select 1 from routines t where a.target_type = 'Routine' and t.id = a.target_id)
          and not exists (select 1 from organisations t where a.target_type = 'Organisation' and t.id = a.target_id)`,
    },
    {
      name: "every organisation's path, depth and legal entity follow from its parent (moves rewrite whole subtrees)",
      query: sql`select o.id from organisations o left join organisations p on p.id = o.parent_id
        where o.path <> coalesce(p.path, '') || o.id || '/' or o.depth <> coalesce(p.depth + 1, 0)
          or o.legal_entity_id is distinct from case when o.kind <> 'unit' then o.id else coalesce(p.legal_entity_id, p.id) end`,
    },
    {
      name: 'every order has its submission in its history and its audit trail, and one audit event per step of its history',
      query: sql`select o.id, o.state,
          (select count(*)::int from order_events e where e.order_id = o.id) as steps,
          (select count(*)::int from audit_events a where a.target_type = 'Order' and a.target_id = o.id) as audited
        from orders o
        where (select count(*) from order_events e where e.order_id = o.id) <> (select count(*) from audit_events a where a.target_type = 'Order' and a.target_id = o.id)
          or not exists (select 1 from order_events e where e.order_id = o.id and e.from_state is null and e.to_state = 'submitted')
          or not exists (select 1 from audit_events a where a.target_type = 'Order' and a.target_id = o.id and a.action = 'order.submit')`,
    },
    {
      name: "an order's last history step leads to its state, and a decided order records who decided when",
      query: sql`select o.id, o.state, e.to_state as last_step, o.decided_at from orders o
        join lateral (select to_state from order_events e where e.order_id = o.id order by e.occurred_at desc, e.from_state is null limit 1) e on true
        where e.to_state <> o.state or (o.state in ('approved', 'rejected', 'returned') and (o.decided_at is null or o.decided_by_id is null))`,
    },
    {
      name: "roles and sub-areas of orders and grants are their service's",
      query: sql`select 'order' as of, o.id from orders o join service_roles r on r.id = o.role_id where r.service_id <> o.service_id
        union all select 'grant', g.id from grants g join service_roles r on r.id = g.role_id where r.service_id <> g.service_id
        union all select 'order sub-area', x.order_id from order_sub_areas x join orders o on o.id = x.order_id join sub_areas s on s.id = x.sub_area_id where s.service_id <> o.service_id
        union all select 'grant sub-area', x.grant_id from grant_sub_areas x join grants g on g.id = x.grant_id join sub_areas s on s.id = x.sub_area_id where s.service_id <> g.service_id`,
    },
    {
      name: "a grant's dates agree with its state",
      query: sql`select id, state, suspended_at, ended_at, valid_from, valid_to from grants
        where (state = 'active' and (ended_at is not null or suspended_at is not null))
          or (state = 'suspended' and (suspended_at is null or ended_at is not null))
          or (state in ('revoked', 'expired') and ended_at is null)
          or (valid_to is not null and valid_to <= valid_from)`,
    },
    {
      name: 'the last audit event of a grant, order, mandate or appointment leaves it in the state it is in',
      query: sql`select a.target_type, a.target_id, a.after ->> 'state' as audited, t.state from (
          select distinct on (target_type, target_id) target_type, target_id, after from audit_events
          where after ->> 'state' is not null order by target_type, target_id, occurred_at desc
        ) a join (
          select 'Grant' as type, id, state from grants union all select 'Order', id, state from orders
          union all select 'IssuerMandate', id, state from issuer_mandates union all select 'OrdererAppointment', id, state from orderer_appointments
        ) t on t.type = a.target_type and t.id = a.target_id
        where a.after ->> 'state' <> t.state`,
    },
    {
      name: 'every stored document belongs to an appointment, a mandate or an order, of its kind, with its uploader, size and hash',
      query: sql`select d.id, d.kind, 'unattached' as problem from documents d
          where not exists (select 1 from orderer_appointments a where a.request_form_id = d.id)
            and not exists (select 1 from issuer_mandates m where m.agreement_document_id = d.id)
            and not exists (select 1 from order_attachments x where x.document_id = d.id)
        union all select d.id, d.kind, 'wrong kind' from documents d join orderer_appointments a on a.request_form_id = d.id where d.kind <> 'orderer_request_form'
        union all select d.id, d.kind, 'wrong kind' from documents d join issuer_mandates m on m.agreement_document_id = d.id where d.kind <> 'agreement'
        union all select id, kind, 'no uploader' from documents where uploaded_by_id is null
        union all select id, kind, 'size or hash not of the content' from documents where size <> octet_length(content) or sha256 <> encode(sha256(content), 'hex')`,
    },
    {
      name: 'an ended mandate records its end, and only standing mandates (or the authority) have active administrators',
      query: sql`select m.id, m.state, 'mandate' as what from issuer_mandates m
          where (m.state = 'ended') <> (m.ended_at is not null)
            or (m.state = 'ended' and (m.ended_by_id is null or m.valid_to is null or m.valid_to > m.ended_at))
            or (m.state = 'ended' and not exists (select 1 from audit_events a where a.target_id = m.id and a.action = 'issuerMandate.end'))
        union all select a.id, a.state, 'administrator' from issuer_administrators a
          where (a.state = 'removed') <> (a.removed_at is not null)
            or (a.state = 'active'
              and not exists (select 1 from services s where s.id = a.service_id and s.owner_id = a.organisation_id)
              and not exists (select 1 from issuer_mandates m where m.organisation_id = a.organisation_id and m.service_id = a.service_id and m.state = 'active'))`,
    },
    {
      name: "an orderer appointment's decision and revocation are recorded with its state",
      query: sql`select id, state, decided_at, revoked_at from orderer_appointments
        where (state in ('approved', 'rejected') and (decided_at is null or decided_by_id is null))
          or (state = 'revoked' and (revoked_at is null or revoked_by_id is null))
          or (state = 'requested' and (decided_at is not null or revoked_at is not null))`,
    },
    {
      name: 'every mandate, appointment and routine made through the API has its creation in the audit trail',
      query: sql`select 'IssuerMandate' as type, m.id from issuer_mandates m where not exists (select 1 from audit_events a where a.target_id = m.id and a.action = 'issuerMandate.grant')
        union all select 'OrdererAppointment', o.id from orderer_appointments o where not exists (select 1 from audit_events a where a.target_id = o.id and a.action = 'ordererAppointment.request')
        union all select 'Routine', r.id from routines r where r.created_at >= ${t0}::timestamptz and not exists (select 1 from audit_events a where a.target_id = r.id and a.action = 'routine.create')`,
    },
    {
      name: 'every person made through the API registered themself (one sign-in identity, a user.selfRegister audit event and an order) or was added by an administrator (a user.create audit event and an employment)',
      query: sql`select u.id, u.email, u.given_name, u.created_at,
          (select count(*)::int from federated_identities f where f.user_id = u.id) as identities,
          (select string_agg(a.action, ',') from audit_events a where a.target_id = u.id) as audited,
          (select count(*)::int from orders o where o.user_id = u.id) as orders
        from users u where u.created_at >= ${t0}::timestamptz
          -- The fuzz set-up hires its staff straight into the database; their sign-in subject is what stays theirs.
          and not exists (select 1 from federated_identities f where f.user_id = u.id and f.subject like 'fuzz.staff%')
          and not (exists (select 1 from audit_events a where a.target_id = u.id and a.action = 'user.create' and a.actor_id is not null)
            and exists (select 1 from employments e where e.user_id = u.id))
          and ((select count(*) from federated_identities f where f.user_id = u.id) <> 1
            or not exists (select 1 from audit_events a where a.target_id = u.id and a.action = 'user.selfRegister')
            or not exists (select 1 from orders o where o.user_id = u.id and o.kind = 'self_registration'))`,
    },
    {
      name: "each person's count of active grants (the report summary) is their active grants",
      query: sql`select u.id, coalesce(p.n, 0) as counted, (select count(*)::int from grants g where g.user_id = u.id and g.state = 'active') as active
        from users u left join person_active_grants p on p.user_id = u.id
        where coalesce(p.n, 0) <> (select count(*) from grants g where g.user_id = u.id and g.state = 'active')`,
    },
    {
      name: 'grant tallies plus their pending deltas are the grants',
      query: sql`with expected as (
          select u.employer_id, g.service_id, g.role_id, g.state, count(*)::int as n from grants g join users u on u.id = g.user_id group by 1, 2, 3, 4
        ), summed as (
          select employer_id, service_id, role_id, state, sum(n)::int as n from (
            select employer_id, service_id, role_id, state, n from grant_tallies union all select employer_id, service_id, role_id, state, n from grant_summary_deltas
          ) x group by 1, 2, 3, 4
        )
        select employer_id, service_id, role_id, state, e.n as grants, s.n as tallied from expected e full join summed s using (employer_id, service_id, role_id, state)
        where coalesce(e.n, 0) <> coalesce(s.n, 0)`,
    },
    {
      name: 'idle-people tallies plus their pending deltas are the people without an active grant',
      query: sql`with expected as (
          select u.employer_id, count(*)::int as n from users u where not exists (select 1 from grants g where g.user_id = u.id and g.state = 'active') group by 1
        ), summed as (
          select employer_id, sum(n)::int as n from (select employer_id, n from idle_people_tallies union all select employer_id, n from idle_people_deltas) x group by 1
        )
        select employer_id, e.n as idle, s.n as tallied from expected e full join summed s using (employer_id) where coalesce(e.n, 0) <> coalesce(s.n, 0)`,
    },
    {
      name: 'expiry tallies plus their pending deltas are the active grants with an end date',
      query: sql`with expected as (
          select date_trunc('day', g.valid_to, 'UTC') as expires_on, u.employer_id, g.service_id, count(*)::int as n
          from grants g join users u on u.id = g.user_id where g.state = 'active' and g.valid_to is not null group by 1, 2, 3
        ), summed as (
          select expires_on, employer_id, service_id, sum(n)::int as n from (
            select expires_on, employer_id, service_id, n from grant_expiry_tallies
            union all select expires_on, employer_id, service_id, n from grant_summary_deltas where expires_on is not null
          ) x group by 1, 2, 3
        )
        select expires_on, employer_id, service_id, e.n as grants, s.n as tallied from expected e full join summed s using (expires_on, employer_id, service_id)
        where coalesce(e.n, 0) <> coalesce(s.n, 0)`,
    },
  ];
}

/** Text, varchar and jsonb columns of our tables. */
async function textColumns(db: TestDatabase): Promise<{ table: string; column: string; type: string }[]> {
  return execute<{ table: string; column: string; type: string }>(
    db.orm.em.fork(),
    sql`select table_name as "table", column_name as "column", data_type as "type" from information_schema.columns
      where table_schema = current_schema() and data_type in ('text', 'character varying', 'jsonb') and table_name <> 'mikro_orm_migrations'
      order by 1, 2`,
  );
}

/**
 * No stored text holds NUL (as a character, or escaped in JSON) or U+FFFD: the generators never send
 * U+FFFD, so one in the database is a lone surrogate the server took and silently replaced.
 */
export async function textProblems(db: TestDatabase): Promise<{ table: string; column: string; rows: number; sample: string }[]> {
  const found: { table: string; column: string; rows: number; sample: string }[] = [];
  const em = db.orm.em.fork();
  for (const { table, column } of await textColumns(db)) {
    const value = Sql.raw(`"${column}"::text`);
    const [row] = await execute<{ n: number; sample: string | null }>(
      em,
      sql`select count(*)::int as n, min(left(${value}, 120)) as sample from ${Sql.raw(`"${table}"`)}
        where strpos(${value}, chr(65533)) > 0 or strpos(${value}, ${'\\u0000'}) > 0`,
    );
    if (row.n > 0) found.push({ table, column, rows: row.n, sample: row.sample ?? '' });
  }
  return found;
}

/** For the report: stored values with C0 control characters, and the longest stored text. */
export async function textStatistics(db: TestDatabase): Promise<{ controls: string[]; longest: { where: string; length: number } }> {
  const em = db.orm.em.fork();
  const controls: string[] = [];
  let longest = { where: '', length: 0 };
  for (const { table, column, type } of await textColumns(db)) {
    if (type === 'jsonb') continue;
    const value = Sql.raw(`"${column}"`);
    const [row] = await execute<{ n: number; longest: number | null }>(
      em,
      sql`select count(*) filter (where ${value} ~ '[\\x01-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]')::int as n, max(length(${value}))::int as longest from ${Sql.raw(`"${table}"`)}`,
    );
    if (row.n > 0) controls.push(`${table}.${column}: ${row.n}`);
    if ((row.longest ?? 0) > longest.length) longest = { where: `${table}.${column}`, length: row.longest! };
  }
  return { controls, longest };
}

export async function brokenInvariants(db: TestDatabase, since: Date): Promise<{ name: string; rows: Record<string, unknown>[] }[]> {
  const broken: { name: string; rows: Record<string, unknown>[] }[] = [];
  const em = db.orm.em.fork();
  for (const { name, query } of invariants(since)) {
    const rows = await execute<Record<string, unknown>>(em, query);
    if (rows.length) broken.push({ name, rows: rows.slice(0, 5) });
  }
  const text = await textProblems(db);
  if (text.length) broken.push({ name: 'no stored text holds NUL or a replaced lone surrogate (U+FFFD)', rows: text });
  return broken;
}

/** For the report: the changes that went through during the run, by audited action. */
export async function changesSince(db: TestDatabase, since: Date): Promise<Map<string, number>> {
  const rows = await execute<{ action: string; n: number }>(
    db.orm.em.fork(),
    sql`select action, count(*)::int as n from audit_events where occurred_at >= ${since.toISOString()}::timestamptz group by 1 order by 1`,
  );
  return new Map(rows.map((r) => [r.action, r.n]));
}
