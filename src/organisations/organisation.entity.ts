import { defineEntity, p } from '@mikro-orm/core';
import { uuidv7 } from '../db/ids.js';

export enum OrganisationKind {
  AUTHORITY = 'authority',
  AGENCY = 'agency',
  MUNICIPALITY = 'municipality',
  REGION = 'region',
  COORDINATION_ASSOCIATION = 'coordination_association',
  SUPPLIER = 'supplier',
  UNIT = 'unit',
}

/**
 * A node of the one organisation tree. `path` is the materialized path of ids from the root
 * ("<root>/<child>/…/<self>/"), so a subtree is one indexed prefix scan and an ancestor test is
 * a string prefix test, whatever the depth.
 */
export const OrganisationSchema = defineEntity({
  name: 'Organisation',
  tableName: 'organisations',
  properties: {
    id: p.uuid().primary().onCreate(() => uuidv7()),
    kind: p.enum(() => OrganisationKind),
    name: p.string().length(200),
    registrationNumber: p.string().length(32).nullable(),
    parent: () => p.manyToOne(Organisation).nullable().index(),
    /** The legal entity this organisation belongs to: itself, or for a unit the nearest non-unit above it. */
    legalEntity: () => p.manyToOne(Organisation).nullable().index(),
    path: p.text().collation('C').unique('organisations_path_unique'),
    depth: p.smallint(),
    createdAt: p.datetime().onCreate(() => new Date()),
    /** When the organisation was closed: it keeps its history, takes no new units, people or orders. */
    closedAt: p.datetime().nullable(),
  },
  indexes: [
    { name: 'organisations_registration_number_idx', properties: ['registrationNumber'] },
    // Pickers search by the start of the name or the registration number, whatever the case (any collation).
    { name: 'organisations_search_name_idx', expression: 'create index "organisations_search_name_idx" on "organisations" (lower("name") text_pattern_ops)' },
    {
      name: 'organisations_search_registration_number_idx',
      expression: 'create index "organisations_search_registration_number_idx" on "organisations" (lower("registration_number") text_pattern_ops)',
    },
    // A legal entity's national number names one organisation; units may repeat or lack one (register unit numbers).
    {
      name: 'organisations_legal_entity_registration_unique',
      expression: `create unique index "organisations_legal_entity_registration_unique" on "organisations" ("registration_number") where "kind" <> 'unit' and "registration_number" is not null`,
    },
  ],
});

export class Organisation extends OrganisationSchema.class {}
OrganisationSchema.setClass(Organisation);

/**
 * A path prefix no organisation has (paths are ids, and ids never contain "!"): filtering by it finds
 * nothing, which is how an organisation the viewer cannot see narrows a list. Text, so any database takes it.
 */
export const NO_ORGANISATION_PATH = '!none/';
