import { GraphQLError } from 'graphql';
import { ArgsType, Field, ID, Int, InterfaceType, ObjectType, type ClassType } from 'type-graphql';
import type { Context } from './context.js';
import { TextLimit } from './input-guard.js';

/** Relay's object identification: every main type has an opaque global id. */
@InterfaceType('Node', {
  description: 'An object with a global id, fetchable with `node(id:)`.',
  resolveType: (value: object) => nodeTypeOf(value),
})
export abstract class Node {
  @Field(() => ID, { description: 'Opaque global id.' })
  id!: string;
}

type EntityCtor = abstract new (...args: never[]) => object;

interface NodeRegistration {
  typeName: string;
  /** Loads the objects with these ids that the viewer may see; the others are simply absent. */
  loadVisible: (ctx: Context, ids: string[]) => Promise<Map<string, object>>;
}

const byType = new Map<string, NodeRegistration>();
const byEntity = new Map<EntityCtor, string>();

/** Declares that an entity is exposed as a Node type, and how the viewer's visible ones are loaded. */
export function registerNode(entity: EntityCtor, registration: NodeRegistration): void {
  byType.set(registration.typeName, registration);
  byEntity.set(entity, registration.typeName);
}

export function nodeRegistration(typeName: string): NodeRegistration | undefined {
  return byType.get(typeName);
}

export function nodeTypeOf(value: object): string {
  const name = byEntity.get(value.constructor as EntityCtor);
  if (!name) throw new Error(`no Node type registered for ${value.constructor.name}`);
  return name;
}

export function nodeTypeNames(): string[] {
  return [...byType.keys()];
}

@ObjectType({ description: 'Where a page of a connection lies in the whole list.' })
export class PageInfo {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => Boolean)
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true })
  startCursor!: string | null;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

/** A cursor is a row's sort key (two 100-character names, or one of 200, and an id) as base64 JSON: under 1,000. */
const CURSOR_MAX_LENGTH = 2000;

@ArgsType()
export class PageArgs {
  @Field(() => Int, { nullable: true, description: 'Items after `after`; at most the server maximum (100).' })
  first?: number | null;

  @Field(() => String, { nullable: true })
  @TextLimit({ maxLength: CURSOR_MAX_LENGTH })
  after?: string | null;

  @Field(() => Int, { nullable: true, description: 'Items before `before`; at most the server maximum (100).' })
  last?: number | null;

  @Field(() => String, { nullable: true })
  @TextLimit({ maxLength: CURSOR_MAX_LENGTH })
  before?: string | null;
}

export interface Page<T> {
  items: T[];
  cursors: string[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
}

/** A connection object: edges and nodes eagerly, `totalCount` only when a client asks for it. */
export abstract class ConnectionBase<T> {
  constructor(
    protected readonly page: Page<T>,
    private readonly count: () => Promise<number>,
  ) {}

  edges(): { cursor: string; node: T }[] {
    return this.page.items.map((node, i) => ({ node, cursor: this.page.cursors[i] }));
  }

  nodes(): T[] {
    return this.page.items;
  }

  pageInfo(): PageInfo {
    return Object.assign(new PageInfo(), {
      hasNextPage: this.page.hasNextPage,
      hasPreviousPage: this.page.hasPreviousPage,
      startCursor: this.page.cursors[0] ?? null,
      endCursor: this.page.cursors[this.page.cursors.length - 1] ?? null,
    });
  }

  totalCount(): Promise<number> {
    return this.count();
  }
}

/** Builds the `<Name>Connection` and `<Name>Edge` types for a node type. */
export function connectionOf(name: string, node: ClassType<object>) {
  type T = object;
  @ObjectType(`${name}Edge`)
  class Edge {
    @Field(() => String)
    cursor!: string;

    @Field(() => node)
    node!: T;
  }

  @ObjectType(`${name}Connection`, { description: `A page of ${name} objects.` })
  class Connection extends ConnectionBase<T> {
    @Field(() => [Edge])
    override edges(): { cursor: string; node: T }[] {
      return super.edges();
    }

    @Field(() => [node], { description: 'The nodes of the edges, for clients that need no cursors.' })
    override nodes(): T[] {
      return super.nodes();
    }

    @Field(() => PageInfo)
    override pageInfo(): PageInfo {
      return super.pageInfo();
    }

    @Field(() => Int, { description: 'How many items the whole list holds (what paging through it returns).' })
    override totalCount(): Promise<number> {
      return super.totalCount();
    }
  }
  return Connection;
}

/** The validated direction and size of a page request. */
export interface PageRequest {
  direction: 'forward' | 'backward';
  size: number;
  cursor: unknown[] | null;
}

export function badInput(message: string, field?: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', ...(field ? { field } : {}) } });
}

export function encodeCursor(values: unknown[]): string {
  return Buffer.from(JSON.stringify(values), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string, arg: string, width: number): unknown[] {
  try {
    const values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(values) && values.length === width && values.every((v) => typeof v === 'string' || typeof v === 'number')) {
      return values;
    }
  } catch {
    // fall through to the error below
  }
  throw badInput(`\`${arg}\` is not a cursor of this list.`, arg);
}

/** Checks first/last/after/before against the Relay rules and the server's page-size cap. */
export function pageRequest(
  args: PageArgs,
  maxPageSize: number,
  keyWidth: number,
  defaultSize = 20,
  options: { nested?: boolean } = {},
): PageRequest {
  if (args.first != null && args.last != null) throw badInput('Use `first` or `last`, not both.');
  if (options.nested && (args.last != null || args.before != null)) {
    throw badInput('Nested lists page forward only: use `first` and `after`.');
  }
  for (const arg of ['first', 'last'] as const) {
    const n = args[arg];
    if (n != null && (n < 0 || n > maxPageSize)) throw badInput(`\`${arg}\` must be between 0 and ${maxPageSize}.`, arg);
  }
  if (args.last != null || (args.before != null && args.first == null)) {
    return {
      direction: 'backward',
      size: args.last ?? defaultSize,
      cursor: args.before ? decodeCursor(args.before, 'before', keyWidth) : null,
    };
  }
  return {
    direction: 'forward',
    size: args.first ?? defaultSize,
    cursor: args.after ? decodeCursor(args.after, 'after', keyWidth) : null,
  };
}
