import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Authentication } from './request-scope.js';

/** One request as a route sees it, after the request id, the token check and the rate limit. */
export interface RouteRequest {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  path: string;
  requestId: string;
  auth: Authentication;
}

/**
 * An edge of the hub over HTTP. `open` routes (health) answer before the token is read and while
 * shutting down; every other route is authenticated and rate-limited first.
 */
export interface Route {
  name: string;
  open?: boolean;
  matches(method: string, path: string): boolean;
  handle(request: RouteRequest): Promise<void>;
}
