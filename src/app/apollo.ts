import { ApolloServer, type ApolloServerPlugin, type GraphQLRequestListener } from '@apollo/server';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginInlineTrace } from '@apollo/server/plugin/inlineTrace';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { requestStore } from '../db/request-context.js';
import type { Context } from '../graphql/context.js';
import { mapDomainErrors } from '../graphql/domain-errors.js';
import { CompiledExecutor } from '../graphql/compiled-executor.js';
import { formatErrorFor } from '../graphql/errors.js';
import { DEFAULT_LIMITS, queryLimitsCheck } from '../http/limits.js';
import { shapeRequestErrors } from '../http/request-errors.js';
import { hubSchema } from './schema.js';

/** The GraphQL server: the schema, the query limits, error mapping and masking, started. */
export async function startApollo(config: Config, log: Logger): Promise<ApolloServer<Context>> {
  const checkLimits = queryLimitsCheck(DEFAULT_LIMITS);
  // One listener for every request: each plugin costs Apollo a promise per hook per request, and
  // these steps need no per-request state of their own.
  const listener: GraphQLRequestListener<Context> = {
    async didResolveOperation(request) {
      checkLimits(request);
    },
    async didEncounterErrors({ errors }) {
      mapDomainErrors(errors);
    },
    async willSendResponse({ contextValue, response, errors }) {
      const store = requestStore.getStore();
      shapeRequestErrors(response, errors, contextValue?.budget, store);
      if (config.exposeSqlCount && store) response.http.headers.set('x-sql-statements', String(store.sqlStatements));
    },
  };
  const edgePlugin: ApolloServerPlugin<Context> = { requestDidStart: async () => listener };

  const apollo = new ApolloServer<Context>({
    // The hub's one schema, executed by graphql-js and, once a query document is hot, compiled.
    gateway: new CompiledExecutor(await hubSchema(), { compileAfter: config.graphqlCompileAfter }).gateway(),
    csrfPrevention: true,
    introspection: config.introspection,
    includeStacktraceInErrorResponses: false,
    allowBatchedHttpRequests: false,
    // Clients send whole documents; automatic persisted queries would only add a per-instance cache
    // and error paths (a wrong hash, an unknown version) that answered as server errors.
    persistedQueries: false,
    // main.ts owns SIGTERM/SIGINT (drain requests, stop jobs, close the database); Apollo's own handler
    // would stop the server first and leave our shutdown waiting on it.
    stopOnTerminationSignals: false,
    // Where introspection is off, error messages must not spell out the schema either.
    formatError: formatErrorFor(log, () => requestStore.getStore()?.requestId, { hideSuggestions: !config.introspection }),
    parseOptions: { maxTokens: DEFAULT_LIMITS.maxTokens },
    plugins: [
      edgePlugin,
      // The hub sends no cache hints (every answer depends on the viewer); without this Apollo wraps
      // every field resolver to collect them.
      ApolloServerPluginCacheControlDisabled(),
      config.landingPage ? ApolloServerPluginLandingPageLocalDefault({ embed: true }) : ApolloServerPluginLandingPageDisabled(),
      // The schema is a subgraph, so Apollo would add per-field timings for any caller sending
      // `apollo-federation-include-trace`; only on when asked for, and then with errors masked.
      config.federationInlineTrace ? ApolloServerPluginInlineTrace({ includeErrors: { masked: true } }) : ApolloServerPluginInlineTraceDisabled(),
    ],
    logger: {
      debug: (m) => log.debug(m),
      info: (m) => log.info(m),
      warn: (m) => log.warn(m),
      error: (m) => log.error(m),
    },
  });
  await apollo.start();
  return apollo;
}
