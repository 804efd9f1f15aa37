import type { Policy } from '../auth/policy.js';
import type { Em } from '../db/orm.js';
import { uuidv7 } from '../db/ids.js';
import { Organisation, OrganisationKind } from './organisation.entity.js';
import { OrganisationRepository } from './organisation.repository.js';

export interface NewOrganisation {
  kind: OrganisationKind;
  name: string;
  registrationNumber: string | null;
  parent: Organisation | null;
}

/** Creates an organisation with its materialized path; the caller's transaction persists it. */
export function createOrganisation(em: Em, input: NewOrganisation): Organisation {
  const id = uuidv7();
  return em.create(Organisation, {
    id,
    kind: input.kind,
    name: input.name,
    registrationNumber: input.registrationNumber,
    parent: input.parent,
    legalEntity: input.kind === OrganisationKind.UNIT && input.parent ? (input.parent.legalEntity ?? input.parent) : id,
    path: `${input.parent?.path ?? ''}${id}/`,
    depth: input.parent ? input.parent.depth + 1 : 0,
  });
}

/** The organisation with this id if the viewer may see it (Policy.readableOrganisations), else null. */
export async function findVisibleOrganisation(em: Em, policy: Policy, id: string): Promise<Organisation | null> {
  const [found] = await new OrganisationRepository(em, policy).findVisible([id]);
  return found ?? null;
}
