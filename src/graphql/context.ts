import type { Logger } from 'pino';
import type { Actor } from '../auth/actor.js';
import type { Config, TrustedIssuerConfig } from '../config.js';
import type { ResponseBudget } from './response-budget.js';

/**
 * The request's DataLoaders. Declared empty here and filled in where they are assembled
 * (src/app/loaders.ts augments it), so this building block names no concept.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface Loaders {}

/** Everything a resolver may use, built fresh for each request: the actor services take, and the edge's own parts. */
export interface Context extends Actor {
  config: Config;
  log: Logger;
  loaders: Loaders;
  /** What this request's answer may still hold (list items), counted as it executes. */
  budget: ResponseBudget;
  /** The identity providers whose tokens the hub accepts. */
  trustedIssuers: TrustedIssuerConfig[];
}
