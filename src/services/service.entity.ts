import { defineEntity, p } from '@mikro-orm/core';
import { uuidv7 } from '../db/ids.js';
import { Organisation } from '../organisations/organisation.entity.js';

/** A downstream system that access is provisioned to, owned by an authority organisation. */
export const ServiceSchema = defineEntity({
  name: 'Service',
  tableName: 'services',
  properties: {
    id: p.uuid().primary().onCreate(() => uuidv7()),
    code: p.string().length(32).unique('services_code_unique'),
    name: p.string().length(200),
    description: p.text().nullable(),
    owner: () => p.manyToOne(Organisation).index(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export class Service extends ServiceSchema.class {}
ServiceSchema.setClass(Service);

/** What a grant allows in a service. */
export const ServiceRoleSchema = defineEntity({
  name: 'ServiceRole',
  tableName: 'service_roles',
  properties: {
    id: p.uuid().primary().onCreate(() => uuidv7()),
    service: () => p.manyToOne(Service),
    code: p.string().length(64),
    name: p.string().length(200),
    description: p.text().nullable(),
  },
  uniques: [{ name: 'service_roles_service_code_unique', properties: ['service', 'code'] }],
});
export class ServiceRole extends ServiceRoleSchema.class {}
ServiceRoleSchema.setClass(ServiceRole);

/** A part of a service's agreement that a grant can be scoped to ("delaftale"). */
export const SubAreaSchema = defineEntity({
  name: 'SubArea',
  tableName: 'sub_areas',
  properties: {
    id: p.uuid().primary().onCreate(() => uuidv7()),
    service: () => p.manyToOne(Service),
    code: p.string().length(64),
    name: p.string().length(200),
  },
  uniques: [{ name: 'sub_areas_service_code_unique', properties: ['service', 'code'] }],
});
export class SubArea extends SubAreaSchema.class {}
SubAreaSchema.setClass(SubArea);
