import {
  GraphQLError,
  GraphQLInputObjectType,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLScalarType,
  GraphQLSchema,
  GraphQLString,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputField,
  type GraphQLInputType,
  type GraphQLResolveInfo,
} from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { guardInputs, textRuleOf } from '../../src/graphql/input-guard.js';
import { hubSchema } from '../../src/app/schema.js';

/** One place in a field's arguments where a text or a date can go, and the arguments that put `value` there. */
interface Location {
  field: string;
  resolve: NonNullable<GraphQLField<unknown, unknown>['resolve']>;
  path: string[];
  input: GraphQLArgument | GraphQLInputField;
  kind: 'text' | 'date';
  args: (value: unknown) => Record<string, unknown>;
}

function locationsOf(schema: GraphQLSchema): Location[] {
  const found: Location[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!(type instanceof GraphQLObjectType) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      for (const arg of field.args) {
        const visit = (t: GraphQLInputType, input: GraphQLArgument | GraphQLInputField, path: string[], wrap: (v: unknown) => Record<string, unknown>, seen: Set<string>): void => {
          if (t instanceof GraphQLNonNull) return visit(t.ofType, input, path, wrap, seen);
          if (t instanceof GraphQLList) return visit(t.ofType, input, [...path, '0'], (v) => wrap([v]), seen);
          if (t instanceof GraphQLInputObjectType) {
            if (seen.has(t.name)) return;
            for (const f of Object.values(t.getFields())) visit(f.type, f, [...path, f.name], (v) => wrap({ [f.name]: v }), new Set([...seen, t.name]));
            return;
          }
          const kind = t.name === 'String' || t.name === 'ID' ? 'text' : t.name === 'DateTime' ? 'date' : null;
          if (kind) found.push({ field: `${type.name}.${field.name}`, resolve: field.resolve!, path, input, kind, args: wrap });
        };
        visit(arg.type, arg, [arg.name], (v) => ({ [arg.name]: v }), new Set());
      }
    }
  }
  return found;
}

/** Runs a field's resolver as graphql-js would after coercion; without a guard it fails on the empty context instead. */
async function refusal(location: Location, value: unknown): Promise<unknown> {
  try {
    await location.resolve(undefined, location.args(value), {}, {} as GraphQLResolveInfo);
    return undefined;
  } catch (error) {
    return error;
  }
}

const number = new Intl.NumberFormat('en');

describe('input guard over the whole schema', () => {
  let locations: Location[];

  beforeAll(async () => {
    locations = locationsOf(await hubSchema());
  });

  it('should find the arguments of every kind: top-level ids, cursors, nested input fields, lists, dates', () => {
    const where = new Set(locations.map((l) => `${l.field}:${l.path.join('.')}`));
    for (const known of [
      'Query.node:id',
      'Query.users:after',
      'User.responsibleIssuer:service',
      'Mutation.orderCreate:input.justification',
      'Mutation.orderBulkCreate:input.people.0',
      'Mutation.orderBulkCreate:input.attachments.0.subArea',
      'Mutation.routineCreate:input.roles.0.role',
      'Mutation.orderCreate:input.validFrom',
      'Reports.grantTrend:from',
    ]) {
      expect(where).toContain(known);
    }
    expect(locations.length).toBeGreaterThan(100);
  });

  it('should give every String and ID argument and input field a finite maximum, stated in its description', () => {
    for (const l of locations.filter((x) => x.kind === 'text')) {
      const rule = textRuleOf(l.input);
      expect(rule, `${l.field}:${l.path.join('.')}`).not.toBeNull();
      expect(rule!.maxLength, `${l.field}:${l.path.join('.')}`).toBeLessThanOrEqual(10_000);
      expect(l.input.description, `${l.field}:${l.path.join('.')}`).toMatch(new RegExp(`[Aa]t most ${number.format(rule!.maxLength)} characters`));
    }
  });

  it('should refuse NUL and one character too many at every text location, before the resolver runs', async () => {
    for (const l of locations.filter((x) => x.kind === 'text')) {
      const where = `${l.field}:${l.path.join('.')}`;
      const nul = await refusal(l, 'a\u0000b');
      expect(nul, where).toBeInstanceOf(GraphQLError);
      expect((nul as GraphQLError).extensions, where).toEqual({ code: 'BAD_USER_INPUT', field: l.path });
      const max = textRuleOf(l.input)!.maxLength;
      const long = await refusal(l, 'x'.repeat(max + 1));
      expect((long as GraphQLError).extensions, where).toEqual({ code: 'BAD_USER_INPUT', field: l.path });
      expect((long as GraphQLError).message, where).toContain(number.format(max));
    }
  });

  it('should refuse dates out of bounds at every DateTime location', async () => {
    const dates = locations.filter((x) => x.kind === 'date');
    expect(dates.length).toBeGreaterThan(10);
    for (const l of dates) {
      for (const d of ['0001-01-01T00:00:00Z', '1899-12-31T23:59:59.999Z', '2200-01-01T00:00:00Z']) {
        const refused = await refusal(l, new Date(d));
        expect((refused as GraphQLError).extensions, `${l.field}:${l.path.join('.')} ${d}`).toEqual({ code: 'BAD_USER_INPUT', field: l.path });
      }
    }
  });

  it('should refuse to build a schema with an input scalar it does not know how to bound', () => {
    const Url = new GraphQLScalarType({ name: 'Url' });
    const schema = new GraphQLSchema({
      query: new GraphQLObjectType({ name: 'Query', fields: { ping: { type: GraphQLString, args: { at: { type: Url } } } } }),
    });
    expect(() => guardInputs(schema)).toThrow(/no input check for the scalar Url/);
  });

  it('should check a bulk order of 1,000 people at the maximum id length in a few milliseconds at most (about 0.2 ms)', async () => {
    const bulk = locations.find((l) => l.field === 'Mutation.orderBulkCreate' && l.path.join('.') === 'input.people.0')!;
    const people = Array.from({ length: 1000 }, (_, i) => `${'p'.repeat(196)}${String(i).padStart(4, '0')}`);
    const args = { input: { people: [...people.slice(0, 999), 'late\u0000'], service: 's'.repeat(200), role: 'r'.repeat(200), justification: 'j\n'.repeat(2000) } };
    const start = performance.now();
    for (let i = 0; i < 100; i++) {
      expect(() => bulk.resolve(undefined, args, {}, {} as GraphQLResolveInfo)).toThrow(/input\.people\.999/);
    }
    expect((performance.now() - start) / 100).toBeLessThan(5);
  });
});
