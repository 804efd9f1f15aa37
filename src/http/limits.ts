import { ApolloArmor } from '@escape.tech/graphql-armor';

/**
 * Query limits, stricter than graphql-armor's defaults where our schema allows: the deepest
 * legitimate query (me → grants → edges → node → scope → parent …) stays well inside them.
 */
export function queryLimits() {
  return new ApolloArmor({
    maxDepth: { n: 12, ignoreIntrospection: true },
    maxAliases: { n: 15 },
    maxDirectives: { n: 20 },
    maxTokens: { n: 2000 },
    // A portal's staff list (50 people with their grants, roles and scopes) costs about 9,000.
    costLimit: { maxCost: 20000, objectCost: 2, scalarCost: 1, depthCostFactor: 1.2, ignoreIntrospection: true },
    blockFieldSuggestion: { enabled: true },
  }).protect();
}
