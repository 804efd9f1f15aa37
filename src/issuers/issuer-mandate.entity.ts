import { defineEntity, p } from '@mikro-orm/core';
import { uuidv7 } from '../db/ids.js';
import { Document } from '../documents/document.entity.js';
import { Organisation } from '../organisations/organisation.entity.js';
import { Routine } from '../routines/routine.entity.js';
import { Service } from '../services/service.entity.js';
import { User } from '../users/user.entity.js';

export enum MandateState {
  ACTIVE = 'active',
  ENDED = 'ended',
}

/**
 * Issuer rights ("utfärdare") for one service, granted by the service's authority to an
 * organisation by agreement. While in force, the organisation administers its own people.
 */
export const IssuerMandateSchema = defineEntity({
  name: 'IssuerMandate',
  tableName: 'issuer_mandates',
  properties: {
    id: p.uuid().primary().onCreate(() => uuidv7()),
    service: () => p.manyToOne(Service),
    organisation: () => p.manyToOne(Organisation).index(),
    state: p.enum(() => MandateState).default(MandateState.ACTIVE),
    agreementReference: p.string().length(100),
    agreementSignatory: p.string().length(200),
    agreementDocument: () => p.manyToOne(Document),
    validFrom: p.datetime(),
    validTo: p.datetime().nullable(),
    supportEmail: p.string().length(254).nullable(),
    supportPhone: p.string().length(32).nullable(),
    supportInstructions: p.text().nullable(),
    /** Why the authority granted it below the routine's threshold; null when the threshold was met. */
    thresholdOverrideReason: p.text().nullable(),
    /** The routine in force when it was granted. */
    routine: () => p.manyToOne(Routine),
    grantedBy: () => p.manyToOne(User),
    endedAt: p.datetime().nullable(),
    endedBy: () => p.manyToOne(User).nullable(),
    endReason: p.text().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
  indexes: [{ name: 'issuer_mandates_service_state_idx', properties: ['service', 'state'] }],
});
export class IssuerMandate extends IssuerMandateSchema.class {}
IssuerMandateSchema.setClass(IssuerMandate);

export enum AdministratorState {
  ACTIVE = 'active',
  REMOVED = 'removed',
}

/**
 * A person who acts for an issuer organisation (an authority, or a mandate holder) in one service.
 * Their rights last only while the organisation is an issuer of that service.
 */
export const IssuerAdministratorSchema = defineEntity({
  name: 'IssuerAdministrator',
  tableName: 'issuer_administrators',
  properties: {
    id: p.uuid().primary().onCreate(() => uuidv7()),
    user: () => p.manyToOne(User).index(),
    service: () => p.manyToOne(Service),
    organisation: () => p.manyToOne(Organisation).index(),
    state: p.enum(() => AdministratorState).default(AdministratorState.ACTIVE),
    appointedBy: () => p.manyToOne(User).nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    removedAt: p.datetime().nullable(),
  },
});
export class IssuerAdministrator extends IssuerAdministratorSchema.class {}
IssuerAdministratorSchema.setClass(IssuerAdministrator);
