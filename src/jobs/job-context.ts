import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Marks work done by a background job (its name), as requestStore marks work done for a request.
 * Lets hooks that react to commits tell a job's routine bookkeeping from a change someone made.
 */
export const jobContext = new AsyncLocalStorage<string>();
