import { readFileSync } from 'node:fs';
import {
  buildSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isLeafType,
  isListType,
  isNonNullType,
  isUnionType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLInterfaceType,
  type GraphQLObjectType,
  type GraphQLUnionType,
} from 'graphql';
import { demo } from '../support/hub.js';
import type { IdPool } from './pools.js';
import type { Auth, FuzzRequest } from './request.js';
import {
  chance,
  dateTimeValue,
  emailValue,
  hostileString,
  intValue,
  nat,
  notInts,
  phoneValue,
  pick,
  some,
  textValue,
  uploadFile,
  weighted,
  type Gen,
  type Level,
} from './values.js';

/** The committed schema: what clients see, and what CI keeps in step with the code. */
export const schema = buildSchema(readFileSync(new URL('../../schema/schema.graphql', import.meta.url), 'utf8'));

/** An input value, built once and written either as a GraphQL literal or as JSON in `variables`. */
type Val =
  | { k: 'null' }
  | { k: 'str'; v: string }
  | { k: 'num'; v: number }
  | { k: 'bool'; v: boolean }
  | { k: 'enum'; v: string }
  | { k: 'list'; items: Val[] }
  | { k: 'obj'; fields: [string, Val][] }
  /** A file: null in the variables, sent as a part of a multipart request. */
  | { k: 'upload' }
  | { k: 'var'; name: string };

function literal(v: Val): string {
  switch (v.k) {
    case 'null':
    case 'upload':
      return 'null';
    case 'str':
      // JSON's escapes are GraphQL's; a lone surrogate comes out as \udXXX, as a client would send it.
      return JSON.stringify(v.v);
    case 'num':
      return String(v.v);
    case 'bool':
      return String(v.v);
    case 'enum':
      return v.v;
    case 'list':
      return `[${v.items.map(literal).join(', ')}]`;
    case 'obj':
      return `{${v.fields.map(([k, f]) => `${k}: ${literal(f)}`).join(', ')}}`;
    case 'var':
      return `$${v.name}`;
  }
}

/** About how many characters a value takes when written out. */
function sizeOf(v: Val): number {
  switch (v.k) {
    case 'str':
      return v.v.length;
    case 'list':
      return v.items.reduce((sum, item) => sum + sizeOf(item), 0);
    case 'obj':
      return v.fields.reduce((sum, [k, f]) => sum + k.length + sizeOf(f), 0);
    default:
      return 8;
  }
}

function json(v: Val, path: string, uploads: string[]): unknown {
  switch (v.k) {
    case 'null':
      return null;
    case 'upload':
      uploads.push(path);
      return null;
    case 'str':
    case 'num':
    case 'bool':
    case 'enum':
      return v.v;
    case 'list':
      return v.items.map((item, i) => json(item, `${path}.${i}`, uploads));
    case 'obj':
      return Object.fromEntries(v.fields.map(([k, f]) => [k, json(f, `${path}.${k}`, uploads)]));
    case 'var':
      throw new Error('a variable cannot stand inside a variable value');
  }
}

/** The node type an ID argument names, by its name and the field it belongs to; undefined: any. */
const ID_ARGUMENTS: Record<string, string> = {
  service: 'Service',
  role: 'ServiceRole',
  organisation: 'Organisation',
  scope: 'Organisation',
  employerId: 'Organisation',
  person: 'User',
  people: 'User',
  administrators: 'User',
  subAreas: 'SubArea',
  subArea: 'SubArea',
};
const ID_BY_MUTATION: [RegExp, string][] = [
  [/^grant/, 'Grant'],
  [/^issuerMandate/, 'IssuerMandate'],
  [/^ordererAppointment/, 'OrdererAppointment'],
  [/^order/, 'Order'],
  [/^userContactUpdate$/, 'User'],
  [/^userEmploymentEnd$/, 'User'],
];
function idTypeOf(owner: string, name: string): string | undefined {
  if (name === 'id') return ID_BY_MUTATION.find(([re]) => re.test(owner))?.[1];
  return ID_ARGUMENTS[name];
}

const PLAUSIBLE_TEXT: Record<string, string[]> = {
  reason: ['Uppföljning', 'Chefen har slutat', 'Blankett 9450 i ordning'],
  justification: ['Behöver SUS för handläggning'],
  name: ['Fuzzrutin 2026'],
  role: ['registrar', 'analyst', 'specialist', 'administrative'],
  givenName: ['Åsa'],
  familyName: ['Öberg'],
  agreementReference: ['FK-AF-2026-01'],
  agreementSignatory: ['Generaldirektör'],
  thresholdOverrideReason: ['Överenskommelse om alla SUS-behörigheter'],
  supportInstructions: ['Ring växeln'],
};

/** Names a variable can be declared with that the argument does not take. */
const WRONG_VARIABLE_TYPES = ['String', 'Int!', '[ID!]!', 'Boolean', 'ID', 'Upload', 'JSONObject', 'NoSuchType', 'GrantState!', 'String!'];

interface Options {
  g: Gen;
  pool: IdPool;
  /** 0…1: how often a value is of the wrong kind rather than merely odd. */
  hostility: number;
  /** Every argument goes in `variables`, files travel as multipart parts. */
  multipart: boolean;
  level: Level;
}

/** Builds one operation: its variables, its fragments, and aliases counted against the server's limit. */
class OperationBuilder {
  readonly vars: { name: string; type: string; value: Val | undefined }[] = [];
  readonly fragments: string[] = [];
  private aliases = 0;
  private fragmentNames = 0;
  /** How many more list items long lists may have in this operation. */
  private longItems = 6000;

  /** Anything but wild: well-formed, every value of its type and every required argument given. */
  private readonly strict: boolean;

  constructor(private readonly o: Options) {
    this.strict = o.level !== 'wild';
  }

  private variable(type: string, value: Val | undefined): Val {
    const name = `v${this.vars.length}`;
    this.vars.push({ name, type, value });
    return { k: 'var', name };
  }

  /** Arguments of a field: left to their default, as literals, or as variables (always, in multipart). */
  args(owner: string, args: readonly GraphQLArgument[]): string {
    const { g } = this.o;
    const { strict } = this;
    const parts: string[] = [];
    for (const arg of args) {
      const required = isNonNullType(arg.type) && arg.defaultValue === undefined;
      if (required ? !strict && chance(g, 0.03) : chance(g, 0.5)) continue;
      if (this.o.multipart || chance(g, 0.4)) {
        const value = this.value(arg.type, owner, arg.name, 'json', 0);
        const declared = !strict && chance(g, 0.04) ? pick(g, WRONG_VARIABLE_TYPES) : String(arg.type);
        parts.push(`${arg.name}: ${literal(this.variable(declared, !strict && chance(g, 0.03) ? undefined : value))}`);
      } else {
        parts.push(`${arg.name}: ${literal(this.value(arg.type, owner, arg.name, 'literal', 0))}`);
      }
    }
    if (!strict && chance(g, 0.02)) parts.push(`${pick(g, ['bogus', 'first', 'id'])}: ${pick(g, ['1', '"x"', 'null', '{}', '[]'])}`);
    return parts.length ? `(${parts.join(', ')})` : '';
  }

  /** A value of the wrong kind for wherever it goes. */
  private wrong(mode: 'json' | 'literal'): Val {
    const { g } = this.o;
    const nested = (depth: number): Val => (depth === 0 ? { k: 'num', v: 1 } : { k: 'obj', fields: [['a', nested(depth - 1)]] });
    return weighted(g, [
      [3, (): Val => ({ k: 'num', v: pick(g, [1, 0, -1, ...notInts]) })],
      [3, (): Val => ({ k: 'str', v: pick(g, ['1', 'true', 'ACTIVE', '[]', '{}']) })],
      [2, (): Val => ({ k: 'bool', v: true })],
      [2, (): Val => ({ k: 'obj', fields: pick(g, [[], [['a', { k: 'num', v: 1 }]], [['__proto__', { k: 'obj', fields: [['x', { k: 'num', v: 1 }]] }]]]) })],
      [2, (): Val => ({ k: 'list', items: pick(g, [[], [{ k: 'str', v: 'x' }], [{ k: 'null' }], [{ k: 'list', items: [] }]]) })],
      [2, (): Val => ({ k: 'null' })],
      [1, (): Val => (mode === 'literal' ? { k: 'enum', v: pick(g, ['ACTIVE', 'true', 'null_', 'Infinity']) } : nested(pick(g, [5, 200])))],
    ] as const)();
  }

  value(type: GraphQLInputType, owner: string, name: string, mode: 'json' | 'literal', depth: number): Val {
    const { g } = this.o;
    const { strict } = this;
    // Deep inside a literal, a variable now and then: `input: { reason: $v3 }`.
    if (mode === 'literal' && depth > 0 && chance(g, 0.08)) return this.variable(String(type), this.value(type, owner, name, 'json', depth));
    if (!strict && chance(g, this.o.hostility * 0.12)) return this.wrong(mode);
    if (isNonNullType(type)) return !strict && chance(g, 0.02) ? { k: 'null' } : this.plain(type.ofType, owner, name, mode, depth);
    if (chance(g, 0.06)) return { k: 'null' };
    return this.plain(type, owner, name, mode, depth);
  }

  private plain(type: GraphQLInputType, owner: string, name: string, mode: 'json' | 'literal', depth: number): Val {
    const { g, pool } = this.o;
    const { strict } = this;
    if (isNonNullType(type)) return this.plain(type.ofType, owner, name, mode, depth);
    if (isListType(type)) {
      // A single value where a list goes is coerced to a list of one.
      if (chance(g, 0.05)) return this.value(type.ofType, owner, name, mode, depth + 1);
      // Long lists only of plain values and near the top, within a budget per operation: the size of
      // the request is the point, and nested long lists would only make the test itself run out of memory.
      const long = this.o.level !== 'calm' && depth <= 1 && isLeafType(getNamedType(type.ofType)) && this.longItems > 0;
      const length = weighted(g, [
        [10, () => pick(g, [1, 2, 0, 3, 5])],
        [long ? 1 : 0, () => pick(g, [101, 1000, 1001, 5000])],
      ] as const)();
      if (length > 5) this.longItems -= length;
      // Long lists repeat a few generated items: the number is the point, not each element. Items of a
      // megabyte (hostile strings) stay few: a thousand of them would only exhaust the test's memory.
      const some = Array.from({ length: Math.min(length, 3) }, () => this.value(type.ofType, owner, name, mode, depth + 1));
      const count = some.some((item) => sizeOf(item) > 10_000) ? Math.min(length, 3) : length;
      return { k: 'list', items: Array.from({ length: count }, (_, i) => some[i % some.length]) };
    }
    if (isEnumType(type)) {
      const values = type.getValues().map((v) => v.name);
      return weighted(g, [
        [12, (): Val => ({ k: 'enum', v: pick(g, values) })],
        [strict ? 0 : 1, (): Val => ({ k: 'enum', v: pick(g, values).toLowerCase() })],
        [strict ? 0 : 1, (): Val => ({ k: 'enum', v: pick(g, ['NOPE', 'Active', '_', 'null_']) })],
        // A string where an enum goes: wrong as a literal, right in variables.
        [strict ? 0 : 1, (): Val => ({ k: 'str', v: pick(g, values) })],
      ] as const)();
    }
    if (isInputObjectType(type)) {
      const fields: [string, Val][] = [];
      for (const field of Object.values(type.getFields())) {
        const required = isNonNullType(field.type) && field.defaultValue === undefined;
        if (required ? !strict && chance(g, 0.03) : chance(g, 0.5)) continue;
        fields.push([field.name, this.value(field.type, owner, field.name, mode, depth + 1)]);
      }
      if (!strict && chance(g, 0.03)) fields.push([pick(g, ['bogus', '__typename', 'id']), { k: 'str', v: 'x' }]);
      return { k: 'obj', fields };
    }
    switch (type.name) {
      case 'ID':
        return { k: 'str', v: pool.id(g, idTypeOf(owner, name), this.o.level) };
      case 'String':
        if (name === 'after' || name === 'before') return { k: 'str', v: pool.cursor(g) };
        return { k: 'str', v: textValue(g, PLAUSIBLE_TEXT[name] ?? ['Fuzz'], this.o.level) };
      case 'Int':
        return { k: 'num', v: intValue(g, name, this.o.level) };
      case 'Float':
        return { k: 'num', v: pick(g, [1.5, 0, -1, 1e308]) };
      case 'Boolean':
        return { k: 'bool', v: chance(g, 0.5) };
      case 'DateTime':
        return !strict && chance(g, 0.05) ? { k: 'num', v: Date.now() } : { k: 'str', v: dateTimeValue(g, this.o.level) };
      case 'EmailAddress':
        return { k: 'str', v: emailValue(g, this.o.level) };
      case 'PhoneNumber':
        return { k: 'str', v: phoneValue(g, this.o.level) };
      case '_Any': {
        // A federation representation: an entity type and a key, mostly plausible.
        const entity = pick(g, (schema.getType('_Entity') as GraphQLUnionType).getTypes().map((t) => t.name));
        const key = weighted(g, [
          [8, (): [string, Val] => ['id', { k: 'str', v: pool.id(g, entity, this.o.level) }]],
          [1, (): [string, Val] => ['registrationNumber', { k: 'str', v: pick(g, ['202100-2114', '26144632', 'nope']) }]],
          [1, (): [string, Val] => ['email', { k: 'str', v: emailValue(g, this.o.level) }]],
          [strict ? 0 : 1, (): [string, Val] => ['id', { k: 'str', v: hostileString(g) }]],
        ] as const)();
        return { k: 'obj', fields: [['__typename', { k: 'str', v: strict || chance(g, 0.9) ? entity : hostileString(g) }], key] };
      }
      case 'JSONObject':
        return { k: 'obj', fields: [['a', { k: 'num', v: 1 }]] };
      case 'Upload':
        if (this.o.multipart && mode === 'json') return { k: 'upload' };
        return pick(g, [{ k: 'null' }, { k: 'str', v: 'file.pdf' }, { k: 'obj', fields: [] }] as Val[]);
      default:
        return { k: 'str', v: hostileString(g) };
    }
  }

  /** A selection set on an object or interface type, down to `maxDepth`. */
  selection(type: GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType, depth: number, maxDepth: number): string {
    const { g } = this.o;
    if (isUnionType(type)) {
      // A union (federation's _Entity) has no fields of its own: __typename and fragments on its members.
      const members = depth >= maxDepth ? [] : some(g, type.getTypes(), 1, 2);
      return ['__typename', ...members.map((on) => `... on ${on.name} { ${this.selection(on, depth + 1, maxDepth)} }`)].join(' ');
    }
    const atLimit = depth >= maxDepth;
    const fields = Object.values(type.getFields()).filter(
      (f) => !atLimit || (isLeafType(getNamedType(f.type)) && f.args.every((a) => !isNonNullType(a.type))),
    );
    const parts = some(g, fields, 1, 5).map((f) => this.field(f, depth, maxDepth));
    if (chance(g, 0.15) || parts.length === 0) parts.push('__typename');
    if (isInterfaceType(type) && !atLimit) {
      const possible = schema.getPossibleTypes(type);
      for (let i = nat(g, 2); i > 0; i--) {
        const on = pick(g, possible);
        parts.push(`... on ${on.name} { ${this.selection(on, depth + 1, maxDepth)} }`);
      }
    }
    if (!atLimit && chance(g, 0.05)) parts.push(`... on ${type.name} { ${this.selection(type, depth + 1, maxDepth)} }`);
    if (!atLimit && chance(g, 0.05)) {
      // Named before its body is built: fragments inside it are numbered after it.
      const name = `F${this.fragmentNames++}`;
      this.fragments.push(`fragment ${name} on ${type.name} { ${this.selection(type, depth + 1, maxDepth)} }`);
      parts.push(`...${name}`);
    }
    return parts.join(' ');
  }

  field(f: GraphQLField<unknown, unknown>, depth: number, maxDepth: number): string {
    const { g } = this.o;
    const alias = chance(g, 0.12) ? `a${this.aliases++}: ` : '';
    const args = f.args.length ? this.args(f.name, f.args) : '';
    const directives = [' @include(if: true)', ' @skip(if: true)', ' @skip(if: false) @include(if: true)', ...(this.strict ? [] : [' @deprecated', ' @nope'])];
    const directive = chance(g, 0.03) ? pick(g, directives) : '';
    const named = getNamedType(f.type);
    const head = `${alias}${f.name}${args}${directive}`;
    return isLeafType(named) ? head : `${head} { ${this.selection(named as GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType, depth + 1, maxDepth)} }`;
  }
}

const DEMO_EMAILS = Object.values(demo);
const ADMINS = [demo.karin, demo.sofie, demo.jonas];

/** Who may change most: the authorities' administrators, the issuer's, and the orderer (after set-up). */
const CHANGERS = [demo.karin, demo.karin, demo.sofie, demo.jonas, demo.maria];

/**
 * Who calls: mostly demo people (administrators more often for writes), sometimes nobody or a
 * stranger. Calm writes come mostly from those who may make them, signed in strongly.
 */
export function actor(g: Gen, writing: boolean, level: Level = 'wild'): Auth {
  return weighted(g, [
    [writing && level === 'calm' ? 200 : 0, (): Auth => ({ kind: 'user', email: pick(g, CHANGERS), acr: 'high' })],
    [writing ? 45 : 0, (): Auth => ({ kind: 'user', email: pick(g, ADMINS), acr: pick(g, [undefined, 'high', 'high', 'substantial', 'low']) })],
    [writing ? 35 : 50, (): Auth => ({ kind: 'user', email: pick(g, DEMO_EMAILS), acr: pick(g, [undefined, undefined, undefined, 'high', 'low']) })],
    [10, (): Auth => ({ kind: 'none' })],
    [3, (): Auth => ({ kind: 'stranger' })],
    [1, (): Auth => ({ kind: 'expired', email: pick(g, DEMO_EMAILS) })],
  ] as const)();
}

/** Whether a field has an Upload anywhere in its arguments. */
function takesFile(field: GraphQLField<unknown, unknown>): boolean {
  const seen = new Set<string>();
  const visit = (type: GraphQLInputType): boolean => {
    const named = getNamedType(type);
    if (named.name === 'Upload') return true;
    if (!isInputObjectType(named) || seen.has(named.name)) return false;
    seen.add(named.name);
    return Object.values(named.getFields()).some((f) => visit(f.type));
  };
  return field.args.some((a) => visit(a.type));
}

const INTROSPECTION = [
  '__schema { queryType { name } types { name kind } }',
  '__type(name: "User") { name fields { name args { name type { name kind ofType { name } } } } }',
  '__type(name: "NoSuchType") { name }',
  '__schema { types { name fields { name type { name ofType { name ofType { name ofType { name } } } } } } }',
];

/** A random operation on the schema's query or mutation root, as JSON, multipart or GET. */
export function graphqlRequest(g: Gen, pool: IdPool, kind: 'query' | 'mutation'): FuzzRequest {
  const root = kind === 'query' ? schema.getQueryType()! : schema.getMutationType()!;
  const level = weighted(g, [
    [4, 'wild'],
    [3, 'strict'],
    [3, 'calm'],
  ] as const);
  const strict = level !== 'wild';
  const count = kind === 'query' ? weighted(g, [[7, 1], [2, 2], [1, 3]] as const) : weighted(g, [[9, 1], [1, 2]] as const);
  const fields = some(g, Object.values(root.getFields()), count, count);
  // A well-formed mutation that takes a file can only be sent as multipart.
  const multipart = kind === 'mutation' && (chance(g, 0.35) || (strict && fields.some(takesFile)));
  const builder = new OperationBuilder({ g, pool, hostility: pick(g, [0.1, 0.3, 0.7]), multipart, level });
  const maxDepth = weighted(g, [
    [4, 3],
    [3, 4],
    [2, 6],
    [1, 2],
    [strict ? 0 : 1, 13],
  ] as const);
  const selections = fields.map((f) => builder.field(f, 1, maxDepth));
  const introspection = kind === 'query' && chance(g, 0.03) ? pick(g, INTROSPECTION) : null;
  if (introspection) selections.push(introspection);

  const name = chance(g, 0.5) ? 'Fuzz' : '';
  const declared = builder.vars.map((v) => `$${v.name}: ${v.type}`);
  if (!strict && chance(g, 0.01)) declared.push('$unused: Int');
  const head = declared.length ? `(${declared.join(', ')})` : '';
  const shorthand = kind === 'query' && !head && !name && chance(g, 0.5);
  const operation = shorthand ? `{ ${selections.join(' ')} }` : `${kind}${name ? ` ${name}` : ''}${head} { ${selections.join(' ')} }`;
  const extra = weighted(g, [
    [60, ''],
    [strict ? 0 : 1, 'query Other { __typename }'],
    [strict ? 0 : 1, 'subscription S { __typename }'],
    [strict ? 0 : 1, '{ __typename'],
  ] as const);
  const query = [operation, ...builder.fragments, extra].filter(Boolean).join('\n');

  const uploads: string[] = [];
  const variables = Object.fromEntries(builder.vars.filter((v) => v.value !== undefined).map((v) => [v.name, json(v.value!, `variables.${v.name}`, uploads)]));
  const operationName = weighted(g, [
    [8, name || undefined],
    [1, undefined],
    [strict ? 0 : 1, 'Other'],
  ] as const);
  const envelope = { query, ...(builder.vars.length || chance(g, 0.2) ? { variables } : {}), ...(operationName ? { operationName } : {}) };
  const auth = actor(g, kind === 'mutation', level);
  const label = `${kind} ${fields.map((f) => f.name).join('+')}${introspection ? '+introspection' : ''}`;
  const base = { label, fields: [...fields.map((f) => f.name), ...(introspection ? ['(introspection)'] : [])], auth, copies: kind === 'mutation' && chance(g, 0.05) ? 2 : 1 };

  if (multipart) {
    const files = uploads.map((path) => ({ path, file: uploadFile(g, level) }));
    return {
      ...base,
      label: `${label} (multipart)`,
      method: 'POST',
      path: '/graphql',
      headers: chance(g, 0.95) ? { 'apollo-require-preflight': 'true' } : {},
      body: {
        kind: 'form',
        parts: [
          { name: 'operations', value: JSON.stringify(envelope) },
          { name: 'map', value: JSON.stringify(Object.fromEntries(files.map((f, i) => [String(i), [f.path]]))) },
          ...files.map((f, i) => ({ name: String(i), value: f.file })),
        ],
      },
    };
  }
  if (kind === 'query' && chance(g, 0.06)) {
    const search = new URLSearchParams({ query, ...(envelope.variables ? { variables: JSON.stringify(variables) } : {}), ...(operationName ? { operationName } : {}) });
    return { ...base, label: `${label} (GET)`, method: 'GET', path: `/graphql?${search.toString()}`, headers: chance(g, 0.8) ? { 'apollo-require-preflight': 'true' } : {}, body: { kind: 'none' } };
  }
  return { ...base, method: 'POST', path: '/graphql', headers: { 'content-type': 'application/json' }, body: { kind: 'text', text: JSON.stringify(envelope) } };
}
