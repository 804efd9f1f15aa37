import { defineEntity, p } from '@mikro-orm/core';
import { uuidv7 } from '../db/ids.js';
import { User } from '../users/user.entity.js';

/** A login from an external identity provider, bound to one user by (issuer, subject). */
export const FederatedIdentitySchema = defineEntity({
  name: 'FederatedIdentity',
  tableName: 'federated_identities',
  properties: {
    id: p.uuid().primary().onCreate(() => uuidv7()),
    user: () => p.manyToOne(User).index(),
    issuer: p.string().length(500),
    subject: p.string().length(255),
    /** The employer's registration number as the identity provider asserted it at the last sign-in. */
    registrationNumber: p.string().length(32).nullable(),
    assuranceLevel: p.string().length(16).nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    lastSignInAt: p.datetime().nullable(),
  },
  uniques: [{ name: 'federated_identities_issuer_subject_unique', properties: ['issuer', 'subject'] }],
});
export class FederatedIdentity extends FederatedIdentitySchema.class {}
FederatedIdentitySchema.setClass(FederatedIdentity);
