import 'reflect-metadata';
import { printSubgraphSchema } from '@apollo/subgraph';
import {
  buildASTSchema,
  GraphQLError,
  isIntrospectionType,
  isSpecifiedScalarType,
  Kind,
  lexicographicSortSchema,
  parse,
  printType,
  type DefinitionNode,
  type GraphQLResolveInfo,
  type GraphQLSchema,
} from 'graphql';
import { Arg, createUnionType, Ctx, Field, Info, ObjectType, Query, Resolver } from 'type-graphql';
import { InvalidArgument } from '../domain/errors.js';
import type { Context } from '../graphql/context.js';
import { AnyScalar, entityKeyOf, entityKeysOf, type Representation } from '../graphql/federation.js';
import { nodeTypeOf } from '../graphql/relay.js';
import { GrantType } from '../grants/grant.type.js';
import { IssuerMandateType } from '../issuers/issuer-mandate.type.js';
import { OrdererAppointmentType } from '../orderers/orderer-appointment.type.js';
import { OrderType } from '../orders/order.type.js';
import { OrganisationType } from '../organisations/organisation.type.js';
import { ServiceRoleType, ServiceType } from '../services/service.type.js';
import { UserType } from '../users/user.type.js';

/**
 * The hub as an Apollo Federation 2 subgraph: the same schema, plus `_service` and `_entities`.
 * Each entity type declares its keys next to itself (`@Directive('@key(fields: "id")')`, and
 * `registerEntityKey` for a key other than `id`); this file lists them and resolves representations
 * through the request's loaders, so an entity answers exactly what `node(id:)` answers.
 */

/** The federation version linked: the newest @apollo/composition 2.14 (the gateway's) accepts. */
export const FEDERATION_SPEC = 'https://specs.apollo.dev/federation/v2.14';

/** The entities, by GraphQL type name: what a portal joins on. */
const ENTITIES = {
  User: UserType,
  Organisation: OrganisationType,
  Grant: GrantType,
  Service: ServiceType,
  ServiceRole: ServiceRoleType,
  Order: OrderType,
  IssuerMandate: IssuerMandateType,
  OrdererAppointment: OrdererAppointmentType,
} as const;

const EntityUnion = createUnionType({
  name: '_Entity',
  description: 'Every type another subgraph can reference by a key.',
  types: () => Object.values(ENTITIES),
  resolveType: (value: object) => nodeTypeOf(value),
});

@ObjectType('_Service', { simpleResolvers: true, description: "This subgraph's schema for a gateway or composition." })
export class SubgraphService {
  @Field(() => String, { description: 'The schema with its federation directives (`schema/subgraph.graphql`).' })
  sdl!: string;
}

const entityTypeNames = new Set<string>(Object.keys(ENTITIES));

@Resolver()
export class FederationResolver {
  @Query(() => SubgraphService, { name: '_service', description: 'The subgraph schema; only where introspection is on.' })
  service(@Ctx() ctx: Context, @Info() info: GraphQLResolveInfo): SubgraphService {
    // The same schema as introspection would tell: where that is off, compose from schema/subgraph.graphql.
    if (!ctx.config.introspection) {
      throw new GraphQLError('The subgraph schema is not served here; compose from schema/subgraph.graphql.', { extensions: { code: 'FORBIDDEN' } });
    }
    return Object.assign(new SubgraphService(), { sdl: subgraphSdl(info.schema) });
  }

  @Query(() => [EntityUnion], {
    name: '_entities',
    nullable: 'items',
    description: 'Entities by representation, in order; null where `node(id:)` would be (absent or outside your scope).',
  })
  entities(@Ctx() ctx: Context, @Arg('representations', () => [AnyScalar]) representations: Representation[]): Promise<(object | null)[]> {
    if (representations.length > ctx.config.maxPageSize) {
      throw new InvalidArgument(`Ask for at most ${ctx.config.maxPageSize} representations at once.`, 'representations');
    }
    // Every representation is checked before any is loaded: a bad one reads nothing.
    const lookups = representations.map((r, i) => lookupOf(ctx, r, `representations.${i}`));
    return Promise.all(lookups.map((lookup) => lookup()));
  }
}

function lookupOf(ctx: Context, representation: Representation, field: string): () => Promise<object | null> {
  const typeName = representation.__typename;
  if (!entityTypeNames.has(typeName)) throw new InvalidArgument(`${typeName} is not an entity of this subgraph.`, field);
  const keys = entityKeysOf(typeName);
  for (const key of ['id', ...keys.map((k) => k.field)]) {
    const value = representation[key];
    if (value === undefined) continue;
    // A key another subgraph holds as null names nobody: absent, not a refusal of the whole batch.
    if (value === null) return () => Promise.resolve(null);
    if (typeof value !== 'string') throw new InvalidArgument(key === 'id' ? '`id` is a global id (a string).' : `\`${key}\` is a string.`, field);
    if (key !== 'id') return () => ctx.loaders.entityKey.load(entityKeyOf(typeName, key, value));
    // A global id of another type is absent, as for node(id:) asked for the wrong type.
    return async () => {
      const found = await ctx.loaders.node.load(value);
      return found && nodeTypeOf(found) === typeName ? found : null;
    };
  }
  throw new InvalidArgument(`A ${typeName} is found by ${['id', ...keys.map((k) => k.field)].join(' or ')}.`, field);
}

const LINK = `extend schema @link(url: "${FEDERATION_SPEC}", import: ["@key"])`;

const printed = new WeakMap<GraphQLSchema, string>();

/**
 * The schema as a subgraph, printed by Apollo's federation printer (graphql's printSchema drops
 * `@key`): sorted like schema/schema.graphql, with the directives type-graphql keeps on each type.
 */
export function subgraphSdl(schema: GraphQLSchema): string {
  const known = printed.get(schema);
  if (known) return known;
  const sorted = lexicographicSortSchema(schema);
  const definitions: DefinitionNode[] = [...parse(LINK).definitions];
  for (const type of Object.values(sorted.getTypeMap())) {
    if (isIntrospectionType(type) || isSpecifiedScalarType(type)) continue;
    const definition = parse(printType(type)).definitions[0];
    const directives = type.astNode?.directives ?? [];
    checkKeys(type.name, directives.filter((d) => d.name.value === 'key').map(keyFields));
    definitions.push(directives.length ? { ...definition, directives } : definition);
  }
  const sdl = `${printSubgraphSchema(buildASTSchema({ kind: Kind.DOCUMENT, definitions }, { assumeValidSDL: true }))}\n`;
  printed.set(schema, sdl);
  return sdl;
}

function keyFields(directive: NonNullable<NonNullable<GraphQLSchema['astNode']>['directives']>[number]): string {
  const fields = directive.arguments?.find((a) => a.name.value === 'fields')?.value;
  return fields?.kind === Kind.STRING ? fields.value : '';
}

/** What a type's `@key` directives say must be what `_entities` resolves, and the other way round. */
function checkKeys(typeName: string, declared: string[]): void {
  const expected = entityTypeNames.has(typeName) ? ['id', ...entityKeysOf(typeName).map((k) => k.field)] : [];
  if ([...declared].sort().join() !== [...expected].sort().join()) {
    throw new Error(`${typeName}: @key(${declared.join(', ') || 'none'}) but _entities resolves ${expected.join(', ') || 'none'}`);
  }
}
