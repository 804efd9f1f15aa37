import type { Em } from '../db/orm.js';
import type { Policy } from './policy.js';
import type { Viewer } from './viewer.js';

/**
 * Who acts, as every service sees them, whichever edge the request came through (GraphQL, a CSV or
 * document route, later SCIM and jobs): the viewer and the one Policy over them, the request's own
 * EntityManager, the request id for the audit trail and logs, and the clock.
 */
export interface Actor {
  viewer: Viewer;
  policy: Policy;
  em: Em;
  requestId: string;
  now(): Date;
}
