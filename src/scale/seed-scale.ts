/**
 * `npm run seed:scale -- --users N` builds a national dataset on the configured database (DATABASE_URL,
 * or PGlite in DATA_DIR): about 20,000 organisations (290 municipalities, 21 regions, 80 coordination
 * associations, agencies with unit trees six levels deep, suppliers), N people (default 500,000) with
 * four grants each on average, and orders in every state over two years. Rows are generated inside
 * the database with generate_series, in chunks, so it takes minutes, not hours, on two cores.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DevIssuer } from '../auth/dev-issuer.js';
import { loadConfig } from '../config.js';
import { migrateUp, type Em } from '../db/orm.js';
import { openDatabase } from '../app/database.js';
import { execute, Sql, sql } from '../db/sql.js';
import { seedDemo } from '../demo/demo-seed.js';
import { OrganisationKind } from '../organisations/organisation.entity.js';
import { Progress } from '../imports/progress.js';
import { rebuildGrantSummaries, SNAPSHOT_MONTHS, takeGrantSnapshots } from '../reports/summaries.js';

const { values } = parseArgs({
  options: { users: { type: 'string', default: '500000' }, chunk: { type: 'string', default: '25000' }, tree: { type: 'string', default: 'national' } },
});
const USERS = Number(values.users);
const CHUNK = Number(values.chunk);
if (!Number.isInteger(USERS) || USERS < 100) throw new Error('--users must be a whole number ≥ 100');

/**
 * How many of each kind of organisation: the national tree (≈21,000), or a small one (≈1,000: one agency
 * with its six-level unit tree, a few municipalities, a region) to show that costs do not grow with the tree.
 */
const TREES = {
  national: { municipalities: 290, regions: 21, associations: 80, agencies: 4, suppliers: 300 },
  small: { municipalities: 5, regions: 1, associations: 4, agencies: 1, suppliers: 4 },
};
if (!(values.tree in TREES)) throw new Error(`--tree must be one of ${Object.keys(TREES).join(', ')}`);
const TREE = TREES[values.tree as keyof typeof TREES];

interface OrgRow {
  id: string;
  kind: OrganisationKind;
  name: string;
  reg: string | null;
  parent: OrgRow | null;
  path: string;
  depth: number;
  legal: string;
}

let counter = 0;
function org(kind: OrganisationKind, name: string, parent: OrgRow | null, reg: string | null = null): OrgRow {
  counter++;
  const hex = counter.toString(16).padStart(12, '0');
  const id = `5ca1e000-0000-4000-8000-${hex}`;
  const path = `${parent?.path ?? ''}${id}/`;
  const legal = kind === OrganisationKind.UNIT && parent ? parent.legal : id;
  return { id, kind, name, reg, parent, path, depth: parent ? parent.depth + 1 : 0, legal };
}

/** The tree, deterministic: the same --tree gives the same organisations. */
function nationalTree(): { all: OrgRow[]; agencies: OrgRow[]; municipalities: OrgRow[] } {
  const all: OrgRow[] = [];
  const add = (o: OrgRow) => (all.push(o), o);
  const units = (parent: OrgRow, fanout: number[], label: string) => {
    if (fanout.length === 0) return;
    for (let i = 0; i < fanout[0]; i++) units(add(org(OrganisationKind.UNIT, `${label} ${i + 1}`, parent)), fanout.slice(1), `${label}.${i + 1}`);
  };
  const municipalities: OrgRow[] = [];
  for (let i = 0; i < TREE.municipalities; i++) {
    const m = add(org(OrganisationKind.MUNICIPALITY, `Kommun ${i + 1}`, null, `2120${String(i).padStart(6, '0')}`));
    municipalities.push(m);
    units(m, [4, 3, 3], 'Förvaltning'); // 4 + 12 + 36 = 52 units
  }
  for (let i = 0; i < TREE.regions; i++) units(add(org(OrganisationKind.REGION, `Region ${i + 1}`, null, `2321${String(i).padStart(6, '0')}`)), [6, 4, 3], 'Division'); // 102 units
  for (let i = 0; i < TREE.associations; i++) units(add(org(OrganisationKind.COORDINATION_ASSOCIATION, `Samordningsförbund ${i + 1}`, null, `2220${String(i).padStart(6, '0')}`)), [2], 'Team');
  const agencies: OrgRow[] = [];
  for (let i = 0; i < TREE.agencies; i++) {
    const a = add(org(OrganisationKind.AGENCY, `Myndighet ${i + 1}`, null, `2021${String(i).padStart(6, '0')}`));
    agencies.push(a);
    units(a, [3, 3, 3, 3, 2, 2], 'Avdelning'); // depth 6: 3+9+27+81+162+324 = 606 units
  }
  for (let i = 0; i < TREE.suppliers; i++) units(add(org(OrganisationKind.SUPPLIER, `Leverandør ${i + 1}`, null, `4${String(i).padStart(7, '0')}`)), [2], 'Afdeling');
  return { all, agencies, municipalities };
}

async function insertOrganisations(em: Em, rows: OrgRow[], progress: Progress): Promise<void> {
  for (let i = 0; i < rows.length; i += 1000) {
    const batch = rows.slice(i, i + 1000);
    const values = Sql.join(
      batch.map((o) => sql`(${o.id}, ${o.kind}, ${o.name}, ${o.reg}, ${o.parent?.id ?? null}, ${o.legal}, ${o.path}, ${o.depth}, now())`),
      ', ',
    );
    await execute(em, sql`insert into organisations (id, kind, name, registration_number, parent_id, legal_entity_id, path, depth, created_at) values ${values}`);
    progress.update(i + batch.length);
  }
  progress.done();
}

const config = loadConfig();
const orm = await openDatabase({ databaseUrl: config.databaseUrl, pgliteDataDir: config.dataDir });
const em = orm.em.fork();
try {
  await migrateUp(orm);
  const issuer = await DevIssuer.loadOrCreate(config.dataDir, config.devIssuerUrl, config.tokenAudience);
  await seedDemo(orm.em.fork(), issuer.issuer);
  const [{ n: existing }] = await execute<{ n: number }>(em, sql`select count(*)::int as n from organisations where name = 'Kommun 1'`);
  if (Number(existing) > 0) {
    console.error('the scale dataset is already loaded: start from an empty database');
    process.exit(2);
  }
  const tree = nationalTree();
  await insertOrganisations(em, tree.all, new Progress('organisations', tree.all.length));

  const [services] = await execute<{ sus: string; vias: string; sus_owner: string; vias_owner: string; reg: string; ana: string; spec: string; adm: string; sus_routine: string; vias_routine: string }>(
    em,
    sql`select s.id as sus, v.id as vias, s.owner_id as sus_owner, v.owner_id as vias_owner,
        (select id from service_roles where service_id = s.id and code = 'registrar') as reg,
        (select id from service_roles where service_id = s.id and code = 'analyst') as ana,
        (select id from service_roles where service_id = v.id and code = 'specialist') as spec,
        (select id from service_roles where service_id = v.id and code = 'administrative') as adm,
        (select id from routines where service_id = s.id and organisation_kind is null) as sus_routine,
        (select id from routines where service_id = v.id and organisation_kind is null) as vias_routine
      from services s, services v where s.code = 'SUS' and v.code = 'VIAS'`,
  );
  // Employers: every organisation of the national tree, with the service its people use.
  await execute(em, sql`drop table if exists scale_employers`);
  await execute(
    em,
    sql`create table scale_employers as
      select row_number() over (order by o.path) as n, o.id, le.kind = 'supplier' as dk,
        case when le.kind = 'supplier' then ${services.vias}::uuid else ${services.sus}::uuid end as service_id,
        case when le.kind = 'supplier' then ${services.spec}::uuid else ${services.reg}::uuid end as role_a,
        case when le.kind = 'supplier' then ${services.adm}::uuid else ${services.ana}::uuid end as role_b,
        case when le.kind = 'supplier' then ${services.vias_owner}::uuid else ${services.sus_owner}::uuid end as owner_id,
        case when le.kind = 'supplier' then ${services.vias_routine}::uuid else ${services.sus_routine}::uuid end as routine_id
      from organisations o join organisations le on le.id = o.legal_entity_id where o.id::text like '5ca1e000-%'`,
  );
  await execute(em, sql`create unique index on scale_employers (n)`);
  const employers = tree.all.length;

  // Two million rows through the summary trigger would double the load time: the summaries are rebuilt once at the end.
  await execute(em, sql`alter table grants disable trigger grants_summary_insert_delete`);
  // Loaded history, not changes: two million grant.activated events would only fill the feed's retention.
  await execute(em, sql`alter table grants disable trigger grants_events`);
  const people = new Progress('people, grants, orders', USERS);
  for (let start = 1; start <= USERS; start += CHUNK) {
    const end = Math.min(USERS, start + CHUNK - 1);
    const g = sql`generate_series(${start}::int, ${end}::int) g join scale_employers e on e.n = 1 + (g::bigint * 7919) % ${employers}`;
    await execute(
      em,
      sql`insert into users (id, employer_id, given_name, family_name, email, phone, profile_state, created_at, updated_at)
        select md5('u' || g)::uuid, e.id,
          (array['Anna','Erik','Maria','Lars','Karin','Johan','Eva','Per','Sara','Nils','Mette','Søren','Ida','Ole','Lena','Anders','Kim','Freja','Bo','Linnea'])[1 + g % 20],
          (array['Andersson','Johansson','Karlsson','Nilsson','Eriksson','Larsson','Olsson','Persson','Svensson','Gustafsson','Nielsen','Jensen','Hansen','Pedersen','Madsen','Berg','Lund','Holm','Ek','Lindqvist'])[1 + (g / 20) % 20] || ' ' || (g % 997),
          'user' || g || '@scale.example', null, 'complete', now() - ((g % 730) || ' days')::interval, now()
        from ${g}`,
    );
    await execute(
      em,
      sql`insert into federated_identities (id, user_id, issuer, subject, registration_number, assurance_level, created_at)
        select md5('f' || g)::uuid, md5('u' || g)::uuid, ${issuer.issuer}, 'user' || g || '@scale.example', null, 'substantial', now() from generate_series(${start}::int, ${end}::int) g`,
    );
    // 1–7 grants a person, four on average; states and dates spread over two years. One grant in force per
    // role (k = 1, 2: the two roles): the rest ended within 30 days, as the one-grant-in-force constraint demands.
    await execute(
      em,
      sql`insert into grants (id, user_id, service_id, role_id, scope_id, state, valid_from, valid_to, issued_by_id, created_at, updated_at, suspended_at, ended_at, end_reason)
        select md5('g' || g || '-' || k)::uuid, md5('u' || g)::uuid, e.service_id, case when k % 2 = 0 then e.role_a else e.role_b end, e.id,
          case when k <= 2 and h < 80 then 'active' when k <= 2 and h < 88 then 'suspended' when h < 95 then 'revoked' else 'expired' end,
          created, case when h >= 95 then created + interval '30 days' when h % 10 = 0 then now() + ((g + k) % 60) * interval '1 day' else null end,
          e.owner_id, created, created,
          case when k <= 2 and h >= 80 and h < 88 then created + interval '10 days' else null end,
          case when k > 2 or h >= 88 then created + interval '30 days' else null end,
          case when h >= 95 then 'expired' when k > 2 or h >= 88 then 'revoked in bulk seed' else null end
        from ${g} cross join lateral generate_series(1, 1 + (g * 31) % 7) k
        cross join lateral (select (g * 13 + k * 7) % 100 as h, now() - ((g * 17 + k * 3) % 730) * interval '1 day' - (k * interval '1 hour') as created) x`,
    );
    // Every other person has an order, in every state.
    await execute(
      em,
      sql`insert into orders (id, kind, state, user_id, service_id, role_id, scope_id, valid_from, ordered_by_id, decider_id, routine_id, submitted_at, decided_at, decision_reason, created_at, updated_at)
        select md5('o' || g)::uuid, case when e.dk then 'self_registration' else 'order' end,
          case when h < 20 then 'submitted' when h < 25 then 'returned' when h < 80 then 'approved' when h < 95 then 'rejected' else 'withdrawn' end,
          md5('u' || g)::uuid, e.service_id, e.role_a, e.id, submitted, md5('u' || g)::uuid, e.owner_id, e.routine_id, submitted,
          case when h >= 20 and h < 95 then submitted + ((g % 240) + 1) * interval '1 hour' else null end,
          case when h >= 80 and h < 95 then 'seeded rejection' else null end, submitted, submitted
        from ${g} cross join lateral (select (g * 29) % 100 as h, now() - ((g * 11) % 730) * interval '1 day' as submitted) x
        where g % 2 = 0`,
    );
    people.update(end);
  }
  people.done();
  await execute(em, sql`alter table grants enable trigger grants_summary_insert_delete`);
  await execute(em, sql`alter table grants enable trigger grants_events`);

  const finishing = new Progress('mandates, orderers', 3);
  const [doc] = await execute<{ id: string }>(
    em,
    sql`insert into documents (id, kind, filename, content_type, size, sha256, content, created_at)
      values (gen_random_uuid(), 'agreement', 'agreement.pdf', 'application/pdf', 9, '${Sql.raw('0'.repeat(64))}', convert_to('%PDF-1.4\n', 'UTF8'), now()) returning id`,
  );
  const [admin] = await execute<{ id: string }>(em, sql`select id from users where email = 'karin.admin@forsakringskassan.se'`);
  // Each agency is its own SUS issuer; its first employee at the top administers it.
  for (const agency of tree.agencies) {
    await execute(
      em,
      sql`insert into issuer_mandates (id, service_id, organisation_id, state, agreement_reference, agreement_signatory, agreement_document_id, valid_from, support_email, routine_id, granted_by_id, created_at)
        values (gen_random_uuid(), ${services.sus}, ${agency.id}, 'active', ${`AGR-${agency.name}`}, 'GD', ${doc.id}, now() - interval '1 year', 'support@myndighet.example', ${services.sus_routine}, ${admin.id}, now())`,
    );
    await execute(
      em,
      sql`insert into issuer_administrators (id, user_id, service_id, organisation_id, state, created_at)
        select gen_random_uuid(), u.id, ${services.sus}, ${agency.id}, 'active', now() from users u
        join organisations e on e.id = u.employer_id where e.path like ${`${agency.path}%`} order by u.email limit 1`,
    );
  }
  await execute(em, sql`update orders o set decider_id = m.organisation_id from users u, organisations e, issuer_mandates m, organisations mo
    where u.id = o.user_id and e.id = u.employer_id and m.service_id = o.service_id and mo.id = m.organisation_id and e.path like mo.path || '%'`);
  finishing.update(1);
  // Each municipality has an orderer for its whole tree.
  await execute(
    em,
    sql`insert into orderer_appointments (id, user_id, service_id, scope_id, state, valid_from, request_form_id, routine_id, requested_by_id, decided_by_id, decided_at, created_at)
      select gen_random_uuid(), p.user_id, ${services.sus}, p.root, 'approved', now() - interval '1 year', ${doc.id}, ${services.sus_routine}, p.user_id, ${admin.id}, now(), now()
      from (select distinct on (m.id) m.id as root, u.id as user_id from organisations m join organisations e on e.path like m.path || '%'
        join users u on u.employer_id = e.id where m.kind = 'municipality' and m.id::text like '5ca1e000-%' order by m.id, u.email) p`,
  );
  finishing.update(2);
  await execute(em, sql`drop table scale_employers`);
  await execute(em, sql`analyze`);
  finishing.done();

  const summaries = new Progress('report summaries', SNAPSHOT_MONTHS + 1);
  await rebuildGrantSummaries(em);
  summaries.update(1);
  await takeGrantSnapshots(em, new Date(), (_month, i) => summaries.update(2 + i));
  summaries.done();
  // What autovacuum would do soon after a bulk load: statistics, and the visibility map index-only scans need.
  await execute(em, sql`vacuum analyze`);

  const actors = await execute<{ role: string; email: string }>(
    em,
    sql`select 'agency-issuer' as role, u.email from issuer_administrators a join users u on u.id = a.user_id join organisations o on o.id = a.organisation_id where o.name = 'Myndighet 1'
      union all select 'municipal-orderer', u.email from orderer_appointments a join users u on u.id = a.user_id join organisations o on o.id = a.scope_id where o.name = 'Kommun 1'`,
  );
  const summary = await execute<Record<string, number>>(
    em,
    sql`select (select count(*) from organisations)::int as organisations, (select count(*) from users)::int as users,
      (select count(*) from grants)::int as grants, (select count(*) from orders)::int as orders, (select max(depth) from organisations)::int as max_depth`,
  );
  writeFileSync(join(config.dataDir, 'scale-actors.json'), JSON.stringify({ authority: 'karin.admin@forsakringskassan.se', ...Object.fromEntries(actors.map((a) => [a.role, a.email])), ...summary[0] }, null, 2));
  console.error(`done: ${JSON.stringify(summary[0])}`);
} finally {
  await orm.close(true);
}
