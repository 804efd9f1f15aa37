import type { Logger } from 'pino';
import type { Policy } from '../auth/policy.js';
import type { Viewer } from '../auth/viewer.js';
import type { Config, TrustedIssuerConfig } from '../config.js';
import type { Em } from '../db/orm.js';
import type { Loaders } from './loaders.js';
import type { ResponseBudget } from './response-budget.js';

/** Everything a resolver may use, built fresh for each request. */
export interface Context {
  requestId: string;
  config: Config;
  log: Logger;
  /** This request's own EntityManager fork. */
  em: Em;
  viewer: Viewer;
  policy: Policy;
  loaders: Loaders;
  /** What this request's answer may still hold (list items), counted as it executes. */
  budget: ResponseBudget;
  /** The identity providers whose tokens the hub accepts. */
  trustedIssuers: TrustedIssuerConfig[];
}
