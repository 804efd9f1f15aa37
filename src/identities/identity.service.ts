import type { Em } from '../db/orm.js';
import { sql } from '../db/sql.js';
import type { VerifiedIdentity } from '../auth/token-verifier.js';
import { Viewer } from '../auth/viewer.js';

/**
 * Maps a verified sign-in to the hub's user: (issuer, subject) → federated identity → user, with
 * what authorization needs (employer path, current placements) in one statement.
 */
export async function viewerFor(em: Em, identity: VerifiedIdentity): Promise<Viewer> {
  const q = sql`select u.id, u.employer_id, o.path as employer_path,
      coalesce((select array_agg(po.path) from placements p join organisations po on po.id = p.organisation_id
        where p.user_id = u.id and p.valid_from <= now() and (p.valid_to is null or p.valid_to > now())), '{}') as placement_paths
    from federated_identities fi
    join users u on u.id = fi.user_id
    join organisations o on o.id = u.employer_id
    where fi.issuer = ${identity.issuer} and fi.subject = ${identity.subject}`;
  const [row] = await em.getConnection().execute<
    { id: string; employer_id: string; employer_path: string; placement_paths: string[] | string }[]
  >(q.text, q.params);
  if (!row) return new Viewer(identity, null);
  return new Viewer(identity, {
    id: row.id,
    employerId: row.employer_id,
    employerPath: row.employer_path,
    placementPaths: parseTextArray(row.placement_paths),
  });
}

function parseTextArray(value: string[] | string): string[] {
  if (Array.isArray(value)) return value;
  const inner = value.replace(/^\{|\}$/g, '');
  return inner ? inner.split(',').map((s) => s.replace(/^"|"$/g, '')) : [];
}
