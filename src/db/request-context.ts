import { AsyncLocalStorage } from 'node:async_hooks';

/** Per-request facts that code far from the request needs: the id for logs, the SQL counter. */
export interface RequestStore {
  requestId: string;
  sqlStatements: number;
  /** Set when the answer is a GraphQL request error (parse, validation, variables) without data. */
  requestError?: boolean;
}

export const requestStore = new AsyncLocalStorage<RequestStore>();
