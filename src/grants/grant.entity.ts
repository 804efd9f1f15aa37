import { defineEntity, p } from '@mikro-orm/core';
import { uuidv7 } from '../db/ids.js';
import { Organisation } from '../organisations/organisation.entity.js';
import { Service, ServiceRole, SubArea } from '../services/service.entity.js';
import { User } from '../users/user.entity.js';

export enum GrantState {
  ACTIVE = 'active',
  SUSPENDED = 'suspended',
  REVOKED = 'revoked',
  EXPIRED = 'expired',
}

/** An active right: user × service role × scope organisation × sub-areas, valid from/to. */
export const GrantSchema = defineEntity({
  name: 'Grant',
  tableName: 'grants',
  properties: {
    id: p.uuid().primary().onCreate(() => uuidv7()),
    user: () => p.manyToOne(User),
    /** Denormalised from the role so that per-service reads and reports need no join. */
    service: () => p.manyToOne(Service),
    role: () => p.manyToOne(ServiceRole),
    scope: () => p.manyToOne(Organisation).index(),
    subAreas: () => p.manyToMany(SubArea).pivotTable('grant_sub_areas').owner(),
    state: p.enum(() => GrantState).default(GrantState.ACTIVE),
    validFrom: p.datetime(),
    validTo: p.datetime().nullable(),
    /** The issuer organisation that decided the grant. */
    issuedBy: () => p.manyToOne(Organisation),
    issuedByUser: () => p.manyToOne(User).nullable(),
    suspendedAt: p.datetime().nullable(),
    suspendReason: p.text().nullable(),
    endedAt: p.datetime().nullable(),
    endReason: p.text().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
  // One grant in force per person, service, role and scope (migration one_grant_in_force; needs btree_gist).
  checks: [
    {
      name: 'grants_one_in_force',
      expression:
        "EXCLUDE USING gist (user_id WITH =, service_id WITH =, role_id WITH =, scope_id WITH =, tstzrange(valid_from, valid_to) WITH &&) WHERE ((state = ANY (ARRAY['active'::text, 'suspended'::text])))",
    },
  ],
  indexes: [
    { name: 'grants_user_state_idx', properties: ['user', 'state'] },
    { name: 'grants_service_state_idx', properties: ['service', 'state'] },
    { name: 'grants_role_state_idx', properties: ['role', 'state'] },
    { name: 'grants_state_valid_to_idx', properties: ['state', 'validTo'] },
    // The moments a grant's state-at-a-date can change: grantStatistics(asOf:) finds the grants that
    // changed between a monthly snapshot and the moment asked through these.
    { name: 'grants_created_at_idx', properties: ['createdAt'] },
    { name: 'grants_valid_from_idx', properties: ['validFrom'] },
    { name: 'grants_valid_to_idx', properties: ['validTo'] },
    { name: 'grants_ended_at_idx', properties: ['endedAt'] },
    { name: 'grants_suspended_at_idx', properties: ['suspendedAt'] },
    // Grants stored active by their end: the expiring report's first and last day, and the people whose
    // active grants have run out before the expiry job marked them (a few among ~100,000 past validTo).
    { name: 'grants_active_valid_to_idx', expression: `create index "grants_active_valid_to_idx" on "grants" ("valid_to", "user_id") where "state" = 'active'` },
  ],
});
export class Grant extends GrantSchema.class {}
GrantSchema.setClass(Grant);
