/**
 * Row-level security for the PostGraphile peer of `npm run bench`: what a PostGraphile deployment of this
 * data would write to scope the staff page as the hub's Policy does. Created by the bench (never by our
 * migrations) in its own schema `pgl_bench` with its own role `pgl_bench_viewer`; the policies sit on the
 * public tables but bind only that role (the hub connects as the table owner, which RLS does not bind).
 *
 * Modelled: what the bench's agency issuer holds, an issuer administrator role through an active mandate
 * (its issuer's subtree minus the subtrees of nearer active mandates of the same service) and orderer
 * appointments (their scope's subtree), per service for grants; the viewer themself. An authority's domain
 * (eligible organisation kinds) is not modelled: the bench checks that both answer the same page first.
 */
import pg from 'pg';

export const PGL_SCHEMA = 'pgl_bench';
export const PGL_ROLE = 'pgl_bench_viewer';

const SQL = `
create schema if not exists ${PGL_SCHEMA};
do $$ begin create role ${PGL_ROLE} nologin; exception when duplicate_object then null; end $$;
grant usage on schema public, ${PGL_SCHEMA} to ${PGL_ROLE};
grant select on public.users, public.grants, public.organisations, public.services, public.service_roles to ${PGL_ROLE};

-- The signed-in person, from the verified token's issuer and subject (pgSettings of the request).
create or replace function ${PGL_SCHEMA}.viewer_id() returns uuid language sql stable security definer
set search_path = public as $$
  select fi.user_id from federated_identities fi
  where fi.issuer = current_setting('pgl_bench.issuer', true) and fi.subject = current_setting('pgl_bench.subject', true)
$$;

-- The (service, employer organisation) pairs whose people and grants the viewer reads through a role.
-- PL/pgSQL, not SQL: its statement's plan is cached for the session instead of planned at every call.
drop function if exists ${PGL_SCHEMA}.grant_scopes() cascade;
create function ${PGL_SCHEMA}.grant_scopes() returns table (service_id uuid, employer_id uuid)
language plpgsql stable security definer set search_path = public as $$
begin
  return query
  with viewer as materialized (select ${PGL_SCHEMA}.viewer_id() as id),
  roles as materialized (
    select a.service_id, io.path,
      coalesce((select array_agg(mo.path) from issuer_mandates m join organisations mo on mo.id = m.organisation_id
        where m.service_id = a.service_id and m.state = 'active' and m.valid_from <= now() and (m.valid_to is null or m.valid_to > now())
          and mo.path like io.path || '%' and mo.id <> io.id), '{}') as carved
    from issuer_administrators a
    join organisations io on io.id = a.organisation_id
    join services s on s.id = a.service_id
    where a.user_id = (select id from viewer) and a.state = 'active' and s.owner_id <> a.organisation_id
      and exists (select 1 from issuer_mandates m where m.organisation_id = a.organisation_id and m.service_id = a.service_id
        and m.state = 'active' and m.valid_from <= now() and (m.valid_to is null or m.valid_to > now()))
  ),
  orders as materialized (
    select o.service_id, oo.path from orderer_appointments o join organisations oo on oo.id = o.scope_id
    where o.user_id = (select id from viewer) and o.state = 'approved' and o.valid_from <= now() and (o.valid_to is null or o.valid_to > now())
  )
  -- A subtree as a range of the path index (paths are ids and '/', all below '~' in the C collation).
  select r.service_id, e.id from roles r join organisations e on e.path >= r.path and e.path < r.path || '~'
    where r.carved = '{}' or not (e.path like any (select c || '%' from unnest(r.carved) c))
  union all
  select o.service_id, e.id from orders o join organisations e on e.path >= o.path and e.path < o.path || '~';
end
$$;

-- Organisations the viewer reads: the chain above their employer, and the subtrees of their roles.
create or replace function ${PGL_SCHEMA}.readable_organisation_paths() returns text[]
language sql stable security definer set search_path = public as $$
  select array_agg(distinct p) from (
    select io.path || '%' as p from issuer_administrators a join organisations io on io.id = a.organisation_id
      where a.user_id = ${PGL_SCHEMA}.viewer_id() and a.state = 'active'
    union all
    select oo.path || '%' from orderer_appointments o join organisations oo on oo.id = o.scope_id
      where o.user_id = ${PGL_SCHEMA}.viewer_id() and o.state = 'approved' and o.valid_from <= now() and (o.valid_to is null or o.valid_to > now())
  ) x
$$;
create or replace function ${PGL_SCHEMA}.viewer_employer_path() returns text
language sql stable security definer set search_path = public as $$
  select e.path from users u join organisations e on e.id = u.employer_id where u.id = ${PGL_SCHEMA}.viewer_id()
$$;

alter table public.users enable row level security;
alter table public.grants enable row level security;
alter table public.organisations enable row level security;
drop policy if exists pgl_bench_users on public.users;
drop policy if exists pgl_bench_grants on public.grants;
drop policy if exists pgl_bench_organisations on public.organisations;
create policy pgl_bench_users on public.users for select to ${PGL_ROLE} using (
  id = (select ${PGL_SCHEMA}.viewer_id()) or employer_id in (select s.employer_id from ${PGL_SCHEMA}.grant_scopes() s));
create policy pgl_bench_grants on public.grants for select to ${PGL_ROLE} using (
  user_id = (select ${PGL_SCHEMA}.viewer_id())
  or (service_id, (select gu.employer_id from public.users gu where gu.id = grants.user_id))
    in (select s.service_id, s.employer_id from ${PGL_SCHEMA}.grant_scopes() s));
create policy pgl_bench_organisations on public.organisations for select to ${PGL_ROLE} using (
  (select ${PGL_SCHEMA}.viewer_employer_path()) like path || '%' or path like any (select unnest(${PGL_SCHEMA}.readable_organisation_paths())));
`;

/**
 * Installs (or refreshes) the schema, role and policies. Every table the hub bypasses RLS on as its owner,
 * so the hub's own answers do not change; the policies bind only the PostGraphile role.
 */
export async function installPostGraphileRls(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(SQL);
  } finally {
    await client.end();
  }
}
