import type { Em } from '../db/orm.js';
import { sql, execute } from '../db/sql.js';
import type { VerifiedIdentity } from '../auth/token-verifier.js';
import { Viewer, type AdministratorRole, type OrdererRole, type SignInRefusal, type ViewerUser } from '../auth/viewer.js';
import { activeMandate } from '../issuers/issuer-mandate.sql.js';

interface ViewerRow {
  id: string;
  employer_id: string;
  employer_path: string;
  legal_entity_path: string;
  placement_paths: string[] | string;
  administers: RawRole[] | string;
  orders: OrdererRole[] | string;
  changes_at: Date | string | null;
  employment_ended: boolean;
}

interface RawRole {
  serviceId: string;
  issuerId: string;
  issuerPath: string;
  authority: boolean;
  ownerPath: string;
  eligibleKinds: string[] | null;
  carvedOutPaths: string[] | null;
}

/** What the hub knows of a signed-in person, apart from the token itself: the same for every token of theirs. */
export interface ViewerFacts {
  user: ViewerUser | null;
  administers: AdministratorRole[];
  orders: OrdererRole[];
  /**
   * The next moment one of these facts changes by the clock alone (a placement, mandate, orderer
   * appointment or routine begins or ends); null when none is scheduled.
   */
  changesAt: Date | null;
  /** Set when the person's employment has ended (and no new one has begun): their sign-in is refused. */
  refusal: SignInRefusal | null;
}

/** The viewer of a token from facts loaded for its identity. */
export function viewerOf(identity: VerifiedIdentity, facts: ViewerFacts): Viewer {
  return new Viewer(identity, facts.user, facts.administers, facts.orders, facts.refusal);
}

/** Maps a verified sign-in to the hub's user and everything authorization needs (see loadViewerFacts). */
export async function viewerFor(em: Em, identity: VerifiedIdentity): Promise<Viewer> {
  return viewerOf(identity, await loadViewerFacts(em, identity));
}

/**
 * Everything authorization needs about a sign-in, in one statement: (issuer, subject) → user,
 * employer and legal-entity paths, current placements, the issuers the user administers for (with
 * the mandates nested in each domain and the eligible kinds under the routine in force), the orderer
 * appointments in force, and when any of that next changes by the clock.
 */
export async function loadViewerFacts(em: Em, identity: VerifiedIdentity): Promise<ViewerFacts> {
  const q = sql`select u.id, u.employer_id, e.path as employer_path, le.path as legal_entity_path,
      coalesce((select array_agg(po.path) from placements p join organisations po on po.id = p.organisation_id
        where p.user_id = u.id and p.valid_from <= now() and (p.valid_to is null or p.valid_to > now())), '{}') as placement_paths,
      coalesce((select json_agg(json_build_object(
          'serviceId', a.service_id, 'issuerId', a.organisation_id, 'issuerPath', io.path,
          'authority', s.owner_id = a.organisation_id, 'ownerPath', so.path,
          'eligibleKinds', (select r.rules -> 'eligibleOrganisationKinds' from routines r
             where r.service_id = a.service_id and r.organisation_kind is null and r.effective_from <= now()
             order by r.effective_from desc limit 1),
          'carvedOutPaths', (select json_agg(mo.path) from issuer_mandates m join organisations mo on mo.id = m.organisation_id
             where m.service_id = a.service_id and ${activeMandate('m')}
               and (s.owner_id = a.organisation_id or (mo.path like io.path || '%' and mo.id <> io.id)))))
        from issuer_administrators a
        join organisations io on io.id = a.organisation_id
        join services s on s.id = a.service_id
        join organisations so on so.id = s.owner_id
        where a.user_id = u.id and a.state = 'active'
          and (s.owner_id = a.organisation_id or exists (select 1 from issuer_mandates m
               where m.organisation_id = a.organisation_id and m.service_id = a.service_id and ${activeMandate('m')}))
      ), '[]') as administers,
      coalesce((select json_agg(json_build_object('serviceId', o.service_id, 'appointmentId', o.id, 'scopePath', oo.path))
        from orderer_appointments o join organisations oo on oo.id = o.scope_id
        where o.user_id = u.id and o.state = 'approved' and o.valid_from <= now() and (o.valid_to is null or o.valid_to > now())
      ), '[]') as orders,
      least(
        (select min(x) from placements p cross join lateral (values (p.valid_from), (p.valid_to)) v (x) where p.user_id = u.id and x > now()),
        (select min(x) from orderer_appointments o cross join lateral (values (o.valid_from), (o.valid_to)) v (x) where o.user_id = u.id and x > now()),
        (select min(x) from issuer_administrators a join issuer_mandates m on m.service_id = a.service_id
           cross join lateral (values (m.valid_from), (m.valid_to)) v (x) where a.user_id = u.id and a.state = 'active' and x > now()),
        (select min(r.effective_from) from issuer_administrators a join routines r on r.service_id = a.service_id
           where a.user_id = u.id and a.state = 'active' and r.effective_from > now()),
        (select min(x) from employments ee cross join lateral (values (ee.valid_from), (ee.valid_to)) v (x) where ee.user_id = u.id and x > now())
      ) as changes_at,
      (exists (select 1 from employments x where x.user_id = u.id and x.valid_to <= now())
        and not exists (select 1 from employments x where x.user_id = u.id and x.valid_from <= now() and (x.valid_to is null or x.valid_to > now()))) as employment_ended
    from federated_identities fi
    join users u on u.id = fi.user_id
    join organisations e on e.id = u.employer_id
    join organisations le on le.id = coalesce(e.legal_entity_id, e.id)
    where fi.issuer = ${identity.issuer} and fi.subject = ${identity.subject}`;
  const [row] = await execute<ViewerRow>(em, q);
  if (!row) return { user: null, administers: [], orders: [], changesAt: null, refusal: null };
  const administers: AdministratorRole[] = json<RawRole[]>(row.administers).map((r) => ({
    ...r,
    eligibleKinds: r.eligibleKinds ?? [],
    carvedOutPaths: r.carvedOutPaths ?? [],
  }));
  return {
    user: {
      id: row.id,
      employerId: row.employer_id,
      employerPath: row.employer_path,
      legalEntityPath: row.legal_entity_path,
      placementPaths: parseTextArray(row.placement_paths),
    },
    administers,
    orders: json<OrdererRole[]>(row.orders),
    changesAt: row.changes_at ? new Date(row.changes_at) : null,
    refusal: row.employment_ended ? 'EMPLOYMENT_ENDED' : null,
  };
}

function json<T>(value: T | string): T {
  return typeof value === 'string' ? (JSON.parse(value) as T) : value;
}

function parseTextArray(value: string[] | string): string[] {
  if (Array.isArray(value)) return value;
  const inner = value.replace(/^\{|\}$/g, '');
  return inner ? inner.split(',').map((s) => s.replace(/^"|"$/g, '')) : [];
}
