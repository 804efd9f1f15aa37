import { AsyncLocalStorage } from 'node:async_hooks';

/** Per-request facts that code far from the request needs: the id for logs, the SQL counter. */
export interface RequestStore {
  requestId: string;
  sqlStatements: number;
}

export const requestStore = new AsyncLocalStorage<RequestStore>();
