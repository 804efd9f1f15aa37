import { ArgsType, Field, ID, Int, InterfaceType, ObjectType, type ClassType } from 'type-graphql';
import type { Context } from './context.js';
import type { Page } from '../db/paging.js';
import { TextLimit } from './input-guard.js';

export { pageRequest, type Page, type PageRequest } from '../db/paging.js';

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

@ObjectType({ simpleResolvers: true, description: 'Where a page of a connection lies in the whole list.' })
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
  @ObjectType(`${name}Edge`, { simpleResolvers: true })
  class Edge {
    @Field(() => String)
    cursor!: string;

    @Field(() => node)
    node!: T;
  }

  @ObjectType(`${name}Connection`, { simpleResolvers: true, description: `A page of ${name} objects.` })
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

