import {
  defaultFieldResolver,
  GraphQLEnumType,
  GraphQLError,
  GraphQLInputObjectType,
  GraphQLInterfaceType,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLScalarType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLFieldResolver,
  type GraphQLInputField,
  type GraphQLInputType,
  type GraphQLSchema,
  BREAK,
  Kind,
  visit,
  type DocumentNode,
  type ValueNode,
} from 'graphql';
import { Extensions } from 'type-graphql';

/**
 * Every text that reaches the hub through GraphQL is checked here, once, before any resolver runs:
 * a maximum length, no control characters (tab and line breaks only where the text may span lines),
 * valid UTF-16, and DateTime values within bounds. `guardInputs` wraps, at schema build time, every
 * field whose arguments can carry such a value; nothing else pays anything.
 */

/** Limits when a field declares none: one-line text, multi-line text, and ids (ours are about 80 characters). */
export const TEXT_DEFAULTS = { line: 200, multiline: 4000, id: 200 } as const;

/** DateTime inputs from the first instant of 1900 through the last of 2199 (UTC). */
export const DATE_BOUNDS = { from: new Date('1900-01-01T00:00:00.000Z'), until: new Date('2200-01-01T00:00:00.000Z') } as const;
export const DATE_BOUNDS_TEXT = 'from 1900-01-01 through 2199-12-31 (UTC)';

/** Whether a date lies within DATE_BOUNDS; other edges (CSV query parameters) hold dates to the same. */
export function dateInBounds(date: Date): boolean {
  const t = date.getTime();
  return t >= DATE_BOUNDS.from.getTime() && t < DATE_BOUNDS.until.getTime();
}

export interface TextRule {
  /** At most this many characters (UTF-16 code units, as an HTML `maxlength` counts them). */
  maxLength: number;
  /** Tab, line feed and CR LF allowed (justifications, reasons, instructions). */
  multiline: boolean;
}

/**
 * Declares a text field's limits next to it, on an input field or an `@ArgsType` field:
 * `@TextLimit({ maxLength: 100 })`, `@TextLimit({ multiline: true })`. A plain `@Arg` cannot carry
 * extensions and takes the default of its kind.
 */
export function TextLimit(rule: Partial<TextRule>) {
  return Extensions({ ...rule });
}

/** Scalars that check their own input (format and length) or carry no text the hub stores. */
const SELF_CHECKED = new Set(['Int', 'Float', 'Boolean', 'EmailAddress', 'PhoneNumber', 'Upload']);

const LINE = /[\0-\x1F\x7F-\x9F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LINES = /[\0-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]|\r(?!\n)|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const number = new Intl.NumberFormat('en');
const codePoint = (c: string) => `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;

/** What is wrong with a value, and where: `path` is built leaf first, on the way out, and only on failure. */
interface Refusal {
  path: string[];
  message: (field: string) => string;
}

type Check = (value: unknown) => Refusal | undefined;

function textCheck(rule: TextRule): Check {
  const forbidden = rule.multiline ? LINES : LINE;
  return (value) => {
    if (typeof value !== 'string') return undefined;
    if (value.length > rule.maxLength) {
      return { path: [], message: (f) => `\`${f}\` is longer than ${number.format(rule.maxLength)} characters.` };
    }
    const found = forbidden.exec(value);
    if (!found) return undefined;
    const c = codePoint(found[0]);
    if (found[0] >= '\uD800') return { path: [], message: (f) => `\`${f}\` is not valid Unicode text: it holds a lone surrogate (${c}).` };
    if (!rule.multiline && (found[0] === '\n' || found[0] === '\r' || found[0] === '\t')) {
      return { path: [], message: (f) => `\`${f}\` must be one line: line breaks and tabs are not allowed (${c}).` };
    }
    return { path: [], message: (f) => `\`${f}\` must not contain control characters (${c}).` };
  };
}

/**
 * Where a request carries a character no field of ours takes (a control character other than tab
 * and line breaks, or a lone surrogate), in its variables or its literal strings: checked for the
 * whole operation before any field runs, so a second mutation's bad text cannot arrive after the
 * first one was written. Per-field limits (length, one line) still apply as each field runs.
 */
function documentText(document: DocumentNode): DocumentText {
  // Where each variable is first used, so a refusal names the argument path as the field guard would.
  const usedAt = new Map<string, string[]>();
  const inLiteral = (node: ValueNode, path: string[]): { field: string[]; message: string } | null => {
    if (node.kind === Kind.VARIABLE) {
      if (!usedAt.has(node.name.value)) usedAt.set(node.name.value, path);
    } else if (node.kind === Kind.STRING) {
      return refusal(node.value, path);
    } else if (node.kind === Kind.LIST) {
      for (let i = 0; i < node.values.length; i++) {
        const hit = inLiteral(node.values[i], [...path, String(i)]);
        if (hit) return hit;
      }
    } else if (node.kind === Kind.OBJECT) {
      for (const field of node.fields) {
        const hit = inLiteral(field.value, [...path, field.name.value]);
        if (hit) return hit;
      }
    }
    return null;
  };
  let literal: { field: string[]; message: string } | null = null;
  visit(document, {
    Argument(node) {
      literal = inLiteral(node.value, [node.name.value]);
      return literal ? BREAK : false;
    },
  });
  return { literal, usedAt };
}

/** A document's own refusal and where its variables are used: the same for every request that sends it. */
interface DocumentText {
  literal: { field: string[]; message: string } | null;
  usedAt: Map<string, string[]>;
}

const ANYWHERE = textCheck({ maxLength: Number.POSITIVE_INFINITY, multiline: true });

function refusal(text: string, field: string[]): { field: string[]; message: string } | null {
  const found = ANYWHERE(text);
  return found ? { field, message: found.message(field[field.length - 1] ?? 'input') } : null;
}

/** Apollo keeps parsed documents: each is walked once, not on every request that sends it. */
const documents = new WeakMap<DocumentNode, DocumentText>();

export function forbiddenTextIn(document: DocumentNode, variables: Record<string, unknown> | undefined): { field: string[]; message: string } | null {
  let text = documents.get(document);
  if (!text) documents.set(document, (text = documentText(document)));
  if (text.literal) return text.literal;
  const { usedAt } = text;
  const inValue = (value: unknown, path: string[]): { field: string[]; message: string } | null => {
    if (typeof value === 'string') return refusal(value, path);
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const hit = inValue(value[i], [...path, String(i)]);
        if (hit) return hit;
      }
    } else if (value && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        const hit = inValue(inner, [...path, key]);
        if (hit) return hit;
      }
    }
    return null;
  };
  for (const [name, value] of Object.entries(variables ?? {})) {
    const hit = inValue(value, usedAt.get(name) ?? [name]);
    if (hit) return hit;
  }
  return null;
}

const dateCheck: Check = (value) => {
  if (!(value instanceof Date) || dateInBounds(value)) return undefined;
  return { path: [], message: (f) => `\`${f}\` must be ${DATE_BOUNDS_TEXT}.` };
};

/** A federation representation (`_Any`): every text in it is held as an id is (its key values are ids, numbers, addresses). */
const idText = textCheck({ maxLength: TEXT_DEFAULTS.id, multiline: false });
const representationCheck: Check = (value) => {
  if (typeof value === 'string') return idText(value);
  if (value === null || typeof value !== 'object') return undefined;
  for (const [key, inner] of Object.entries(value)) {
    const refusal = representationCheck(inner);
    if (refusal) {
      refusal.path.push(key);
      return refusal;
    }
  }
  return undefined;
};

/** The limit of a text argument or input field: declared with `TextLimit`, else the default for its kind. */
export function textRuleOf(input: GraphQLArgument | GraphQLInputField): TextRule | null {
  const named = namedType(input.type);
  const declared = input.extensions as Partial<TextRule> | undefined;
  const isText = named.name === 'String' || named.name === 'ID';
  if (!isText) {
    if (declared?.maxLength !== undefined || declared?.multiline !== undefined) {
      throw new Error(`${input.name}: a text limit on a ${named.name}, which is not text`);
    }
    return null;
  }
  const multiline = declared?.multiline === true;
  if (multiline && named.name === 'ID') throw new Error(`${input.name}: an ID cannot span lines`);
  const maxLength = declared?.maxLength ?? (named.name === 'ID' ? TEXT_DEFAULTS.id : multiline ? TEXT_DEFAULTS.multiline : TEXT_DEFAULTS.line);
  if (!Number.isInteger(maxLength) || maxLength < 1) throw new Error(`${input.name}: maxLength must be a positive whole number`);
  return { maxLength, multiline };
}

function namedType(type: GraphQLInputType): Exclude<GraphQLInputType, GraphQLList<GraphQLInputType> | GraphQLNonNull<GraphQLInputType>> {
  let t = type;
  while (t instanceof GraphQLList || t instanceof GraphQLNonNull) t = t.ofType;
  return t;
}

/** Builds the checks of input types once, so a field's wrapper only runs what its arguments need. */
class CheckBuilder {
  private readonly objects = new Map<string, { check: Check | null | undefined }>();

  /** The check of a value of `type` at an argument or input field, or null when it can hold nothing to check. */
  forInput(input: GraphQLArgument | GraphQLInputField): Check | null {
    const rule = textRuleOf(input);
    return this.forType(input.type, rule, input.name);
  }

  private forType(type: GraphQLInputType, rule: TextRule | null, name: string): Check | null {
    if (type instanceof GraphQLNonNull) return this.forType(type.ofType, rule, name);
    if (type instanceof GraphQLList) {
      const item = this.forType(type.ofType, rule, name);
      if (!item) return null;
      return (value) => {
        if (!Array.isArray(value)) return value == null ? undefined : item(value);
        for (let i = 0; i < value.length; i++) {
          const refusal = item(value[i]);
          if (refusal) {
            refusal.path.push(String(i));
            return refusal;
          }
        }
        return undefined;
      };
    }
    if (type instanceof GraphQLInputObjectType) return this.forObject(type);
    if (type instanceof GraphQLEnumType) return null;
    if (rule) return textCheck(rule);
    if (type.name === 'DateTime') return dateCheck;
    if (type.name === '_Any') return representationCheck;
    if (type instanceof GraphQLScalarType && SELF_CHECKED.has(type.name)) return null;
    // A new scalar must say how its input is bounded before any field can take it.
    throw new Error(`${name}: no input check for the scalar ${type.name}; add one to src/graphql/input-guard.ts`);
  }

  private forObject(type: GraphQLInputObjectType): Check | null {
    const known = this.objects.get(type.name);
    // A type that refers to itself: its check, once built.
    if (known) return known.check === undefined ? (value) => known.check?.(value) : known.check;
    const entry: { check: Check | null | undefined } = { check: undefined };
    this.objects.set(type.name, entry);
    const fields = Object.values(type.getFields())
      .map((f) => [f.name, this.forInput(f)] as const)
      .filter((f): f is readonly [string, Check] => f[1] !== null);
    entry.check = fields.length
      ? (value) => {
          if (value == null || typeof value !== 'object') return undefined;
          const record = value as Record<string, unknown>;
          for (let i = 0; i < fields.length; i++) {
            const [name, check] = fields[i];
            const refusal = check(record[name]);
            if (refusal) {
              refusal.path.push(name);
              return refusal;
            }
          }
          return undefined;
        }
      : null;
    return entry.check;
  }
}

function refuse(argument: string, refusal: Refusal): GraphQLError {
  const field = [argument, ...refusal.path.reverse()];
  return new GraphQLError(refusal.message(field.join('.')), { extensions: { code: 'BAD_USER_INPUT', field } });
}

/** Wraps a resolver so its coerced arguments are checked before it runs. */
function guarded(checks: (readonly [string, Check])[], resolve: GraphQLFieldResolver<unknown, unknown>): GraphQLFieldResolver<unknown, unknown> {
  return (source, args: Record<string, unknown>, context, info) => {
    for (let i = 0; i < checks.length; i++) {
      const [name, check] = checks[i];
      const refusal = check(args[name]);
      if (refusal) throw refuse(name, refusal);
    }
    return resolve(source, args, context, info);
  };
}

function describe(input: GraphQLArgument | GraphQLInputField): void {
  const rule = textRuleOf(input);
  if (!rule) return;
  const each = input.type instanceof GraphQLList || (input.type instanceof GraphQLNonNull && input.type.ofType instanceof GraphQLList);
  const limit = `${each ? 'Each at' : 'At'} most ${number.format(rule.maxLength)} characters${rule.multiline ? '; line breaks allowed' : ''}.`;
  input.description = input.description ? `${input.description} ${limit}` : limit;
}

/**
 * Checks every text and DateTime argument of every field, at any depth of its input objects, and
 * writes each text limit into the SDL description. Run once on the built schema.
 */
export function guardInputs(schema: GraphQLSchema): GraphQLSchema {
  const checks = new CheckBuilder();
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    if (type instanceof GraphQLInputObjectType) Object.values(type.getFields()).forEach(describe);
    if (!(type instanceof GraphQLObjectType || type instanceof GraphQLInterfaceType)) continue;
    for (const field of Object.values(type.getFields()) as GraphQLField<unknown, unknown>[]) {
      field.args.forEach(describe);
      if (!(type instanceof GraphQLObjectType)) continue;
      const argChecks = field.args.map((a) => [a.name, checks.forInput(a)] as const).filter((a): a is readonly [string, Check] => a[1] !== null);
      if (argChecks.length) field.resolve = guarded(argChecks, field.resolve ?? defaultFieldResolver);
    }
  }
  return schema;
}
