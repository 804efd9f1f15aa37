import { ReferenceKind, type EntityMetadata, type EntityName } from '@mikro-orm/core';
import type { Em } from './orm.js';

interface Column {
  property: string;
  field: string;
  kind: 'value' | 'link' | 'date' | 'json';
}

interface RowShape {
  columns: Column[];
  /**
   * The entity's prototype under a layer of plain writable properties, one per column: assigning
   * to an object made from it creates an own property directly, never reaching the ORM's
   * change-tracking setters on the entity prototype.
   */
  prototype: object;
}

const shapes = new WeakMap<EntityMetadata, RowShape>();

function shapeOf(meta: EntityMetadata): RowShape {
  let shape = shapes.get(meta);
  if (shape) return shape;
  const columns: Column[] = [];
  for (const prop of meta.props) {
    if (prop.persist === false || !prop.fieldNames || prop.fieldNames.length !== 1) continue;
    const field = prop.fieldNames[0];
    if (prop.kind === ReferenceKind.MANY_TO_ONE || prop.kind === ReferenceKind.ONE_TO_ONE) {
      if (prop.owner === false || prop.mappedBy) continue;
      columns.push({ property: prop.name, field, kind: 'link' });
    } else if (prop.kind === ReferenceKind.SCALAR) {
      const type = String(prop.runtimeType ?? prop.type).toLowerCase();
      columns.push({ property: prop.name, field, kind: type === 'date' || type === 'datetime' ? 'date' : type === 'object' || type === 'json' ? 'json' : 'value' });
    }
  }
  const prototype = Object.create(meta.prototype as object) as object;
  for (const column of columns) Object.defineProperty(prototype, column.property, { value: undefined, writable: true, enumerable: false, configurable: true });
  shape = { columns, prototype };
  shapes.set(meta, shape);
  return shape;
}

/**
 * An entity of a read-only list built straight from its row, outside the identity map: the columns
 * as own properties, many-to-one links as `{ id }` (resolvers follow links through loaders), no
 * collections. With a prefix, the columns are read as `<prefix><column>` (a row joined to another's).
 * Mapping a staff page (50 people, 200 grants) through em.map cost about 6 ms of CPU per request,
 * mostly in reference bookkeeping a read never needs. Never persist or flush one.
 */
export function readOnlyRow<T extends object>(em: Em, entity: EntityName<T>, row: Record<string, unknown>, prefix = ''): T {
  const shape = shapeOf(em.getMetadata().get(entity));
  const object = Object.create(shape.prototype) as Record<string, unknown>;
  for (const column of shape.columns) {
    let value = row[prefix + column.field];
    if (value === undefined) continue;
    if (value !== null) {
      if (column.kind === 'link') value = { id: (value as string | number | bigint).toString() };
      else if (column.kind === 'date' && !(value instanceof Date)) value = new Date(value as string);
      else if (column.kind === 'json' && typeof value === 'string') value = JSON.parse(value);
    }
    object[column.property] = value;
  }
  return object as T;
}

/** The columns readOnlyRow reads for an entity: what a statement must select to build one. */
export function readOnlyColumns(em: Em, entity: EntityName<object>): string[] {
  return shapeOf(em.getMetadata().get(entity)).columns.map((c) => c.field);
}
