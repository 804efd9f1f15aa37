import { defineEntity, p } from '@mikro-orm/core';
import { uuidv7 } from '../db/ids.js';
import { Document } from '../documents/document.entity.js';
import { Organisation } from '../organisations/organisation.entity.js';
import { Routine } from '../routines/routine.entity.js';
import { Service } from '../services/service.entity.js';
import { User } from '../users/user.entity.js';

export enum AppointmentState {
  REQUESTED = 'requested',
  APPROVED = 'approved',
  REJECTED = 'rejected',
  REVOKED = 'revoked',
}

/**
 * A manager's appointment as orderer ("beställare") for an organisation subtree in one service:
 * requested with the signed form, decided by the responsible issuer, revocable.
 */
export const OrdererAppointmentSchema = defineEntity({
  name: 'OrdererAppointment',
  tableName: 'orderer_appointments',
  properties: {
    id: p.uuid().primary().onCreate(() => uuidv7()),
    user: () => p.manyToOne(User).index(),
    service: () => p.manyToOne(Service),
    scope: () => p.manyToOne(Organisation).index(),
    state: p.enum(() => AppointmentState).default(AppointmentState.REQUESTED),
    validFrom: p.datetime(),
    validTo: p.datetime().nullable(),
    requestForm: () => p.manyToOne(Document),
    /** The routine in force when it was requested: the one it is judged by. */
    routine: () => p.manyToOne(Routine),
    requestedBy: () => p.manyToOne(User),
    decidedBy: () => p.manyToOne(User).nullable(),
    decidedAt: p.datetime().nullable(),
    decisionReason: p.text().nullable(),
    revokedBy: () => p.manyToOne(User).nullable(),
    revokedAt: p.datetime().nullable(),
    revokeReason: p.text().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
  indexes: [{ name: 'orderer_appointments_service_state_idx', properties: ['service', 'state'] }],
});
export class OrdererAppointment extends OrdererAppointmentSchema.class {}
OrdererAppointmentSchema.setClass(OrdererAppointment);
