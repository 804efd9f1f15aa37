import { ApolloGateway, IntrospectAndCompose, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';

interface GatewayContext {
  authorization?: string;
}

export interface SubgraphCall {
  subgraph: string;
  query: string;
  /** What the subgraph's `x-sql-statements` header said (the hub's; null elsewhere). */
  sqlStatements: number | null;
}

export interface RunningGateway {
  url: string;
  /** Every subgraph request the gateway made, in order. */
  calls: SubgraphCall[];
  stop: () => Promise<void>;
}

/**
 * An @apollo/gateway in front of the given subgraphs, composed at start-up from their `_service`
 * (IntrospectAndCompose), forwarding the caller's bearer token to every subgraph.
 */
export async function startGateway(subgraphs: { name: string; url: string }[], port = 0): Promise<RunningGateway> {
  const calls: SubgraphCall[] = [];
  const gateway = new ApolloGateway({
    supergraphSdl: new IntrospectAndCompose({ subgraphs }),
    buildService: ({ name, url }) =>
      new RemoteGraphQLDataSource<GatewayContext>({
        url,
        willSendRequest({ request, context }) {
          const { authorization } = context as GatewayContext;
          if (typeof authorization === 'string') request.http?.headers.set('authorization', authorization);
        },
        didReceiveResponse({ response, request }) {
          const count = response.http?.headers.get('x-sql-statements');
          calls.push({ subgraph: name, query: request.query ?? '', sqlStatements: count == null ? null : Number(count) });
          return response;
        },
      }),
  });
  const server = new ApolloServer<GatewayContext>({ gateway });
  const { url } = await startStandaloneServer(server, {
    listen: { port, host: '127.0.0.1' },
    context: async ({ req }) => ({ authorization: req.headers.authorization }),
  });
  return { url, calls, stop: () => server.stop() };
}
