import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import type { Config } from '../../config.js';
import { requestStore } from '../../db/request-context.js';
import type { Context } from '../../graphql/context.js';
import { RESPONSE_TOO_LARGE } from '../../graphql/response-budget.js';
import { readMultipartRequest } from '../../http/multipart.js';
import { errorBody, HttpError, MAX_JSON_NESTING, nestsDeeperThan, readBody, TOO_DEEP, valueNestsDeeperThan } from '../../http/request.js';
import type { RequestScopes } from './request-scope.js';
import type { Route, RouteRequest } from './route.js';

export const GRAPHQL_PATH = '/graphql';
const JSON_BODY_LIMIT = 1024 * 1024;

/** The GraphQL API: JSON, GET or multipart (uploads) in; Apollo executes; the answer is bounded on the way out. */
export function graphqlRoute(apollo: ApolloServer<Context>, config: Config, scopes: RequestScopes): Route {
  return {
    name: 'graphql',
    matches: (_method, path) => path === GRAPHQL_PATH,
    async handle({ req, res, url, requestId, auth }: RouteRequest) {
      const body = await readGraphqlBody(req, res, url, config);
      if (body === REFUSED) return;
      const headers = new HeaderMap();
      for (const [key, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
      }
      const response = await apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
        context: () => scopes.context(auth, requestId),
      });
      const outHeaders: Record<string, string> = {};
      for (const [key, value] of response.headers) outHeaders[key] = value;
      let status = response.status ?? 200;
      // GraphQL over HTTP: a request error answered as application/json is 200 (the legacy media type
      // carries no status semantics); application/graphql-response+json keeps the 400.
      if (status === 400 && requestStore.getStore()?.requestError && /^application\/json/i.test(outHeaders['content-type'] ?? '')) status = 200;
      if (response.body.kind === 'complete') {
        let text = response.body.string;
        // Past the list-item budget, the last guard on what one answer may put on the wire.
        if (Buffer.byteLength(text) > config.responseMaxBytes) {
          status = 400;
          text = JSON.stringify(errorBody(RESPONSE_TOO_LARGE, `The answer would be larger than ${config.responseMaxBytes} bytes. Ask for smaller pages or fewer fields.`));
        }
        res.writeHead(status, outHeaders);
        res.end(text);
      } else {
        res.writeHead(status, outHeaders);
        for await (const chunk of response.body.asyncIterator) res.write(chunk);
        res.end();
      }
    },
  };
}

const REFUSED = Symbol('refused');

/** The operation as sent, with hostile shapes (too deep, not JSON) refused before GraphQL sees them. */
async function readGraphqlBody(req: IncomingMessage, res: ServerResponse, url: URL, config: Config): Promise<unknown> {
  const body = req.method === 'POST' ? await readPostBody(req, res, config) : undefined;
  if (nestsDeeperThan(url.searchParams.get('variables') ?? '', MAX_JSON_NESTING)) throw new HttpError(400, 'BAD_REQUEST', TOO_DEEP);
  return body;
}

async function readPostBody(req: IncomingMessage, res: ServerResponse, config: Config): Promise<unknown> {
  const contentType = req.headers['content-type'] ?? '';
  if (/^multipart\/form-data/i.test(contentType)) {
    const body = await readMultipartRequest(req, res, config);
    if (body === null) return REFUSED; // refused, and answered
    if (valueNestsDeeperThan(body, MAX_JSON_NESTING)) throw new HttpError(400, 'BAD_REQUEST', TOO_DEEP);
    return body;
  }
  const raw = await readBody(req, JSON_BODY_LIMIT);
  if (!(/^application\/(graphql-response\+)?json/i.test(contentType) || /\+json/i.test(contentType))) return raw;
  if (nestsDeeperThan(raw, MAX_JSON_NESTING)) throw new HttpError(400, 'BAD_REQUEST', TOO_DEEP);
  try {
    return raw.length ? (JSON.parse(raw) as unknown) : undefined;
  } catch {
    throw new HttpError(400, 'BAD_REQUEST', 'The request body is not valid JSON.');
  }
}
