import { defineEntity, p } from '@mikro-orm/core';
import { uuidv7 } from '../db/ids.js';
import { OrganisationKind } from '../organisations/organisation.entity.js';
import { Service } from '../services/service.entity.js';
import { User } from '../users/user.entity.js';
import type { RoutineRules } from './routine.rules.js';

/**
 * The rules of a service in force from a date, optionally only for one kind of organisation. A new
 * routine never changes an old one: what was submitted under a routine stays judged by it.
 */
export const RoutineSchema = defineEntity({
  name: 'Routine',
  tableName: 'routines',
  properties: {
    id: p.uuid().primary().onCreate(() => uuidv7()),
    service: () => p.manyToOne(Service),
    /** Null: applies to every kind of organisation without a routine of its own. */
    organisationKind: p.enum(() => OrganisationKind).nullable(),
    effectiveFrom: p.datetime(),
    name: p.string().length(200),
    rules: p.json<RoutineRules>(),
    createdBy: () => p.manyToOne(User).nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
  indexes: [{ name: 'routines_service_kind_from_idx', properties: ['service', 'organisationKind', 'effectiveFrom'] }],
});
export class Routine extends RoutineSchema.class {}
RoutineSchema.setClass(Routine);
