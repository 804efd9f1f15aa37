/**
 * The baseline of the benchmark: Apollo Server and type-graphql answering a constant, on the same
 * node:http layer shape as the hub, with no database. Ratios against it survive a noisy machine.
 */
import 'reflect-metadata';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, HeaderMap } from '@apollo/server';
import { buildSchema, Field, ObjectType, Query, Resolver } from 'type-graphql';

@ObjectType()
class Greeting {
  @Field(() => String)
  text!: string;
}

@Resolver()
class HelloResolver {
  @Query(() => Greeting)
  hello(): Greeting {
    return { text: 'hej' };
  }
}

const apollo = new ApolloServer({ schema: await buildSchema({ resolvers: [HelloResolver], validate: false }) });
await apollo.start();
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  // A failure rejects unhandled and stops the process: a benchmark baseline should fail loudly.
  req.on('end', () => void (async () => {
    const headers = new HeaderMap();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method ?? 'POST', headers, search: '', body: chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : undefined },
      context: async () => ({}),
    });
    const out: Record<string, string> = {};
    for (const [k, v] of response.headers) out[k] = v;
    res.writeHead(response.status ?? 200, out);
    res.end(response.body.kind === 'complete' ? response.body.string : '');
  })());
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(JSON.stringify({ msg: 'bare server listening', port: (server.address() as AddressInfo).port }));
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
