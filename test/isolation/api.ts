import type { GraphQLResponse, TestHub } from '../support/hub.js';
import type { Actor, Collection } from './model.js';

/** Talking to the hub over HTTP as a model actor, and paging through its connections. */

export const TYPE_NAME: Record<Collection, string> = {
  users: 'User',
  grants: 'Grant',
  organisations: 'Organisation',
  mandates: 'IssuerMandate',
  appointments: 'OrdererAppointment',
};
export const LIST_FIELD: Record<Collection, string> = {
  users: 'users',
  grants: 'grants',
  organisations: 'organisations',
  mandates: 'issuerMandates',
  appointments: 'ordererAppointments',
};

/** Relay global ids: base64url of "<Type>:<uuid>" (opaque to clients; the test knows the format). */
export const gid = (type: string, id: string) => Buffer.from(`${type}:${id}`, 'utf8').toString('base64url');
export const rawId = (globalId: string) => Buffer.from(globalId, 'base64url').toString('utf8').split(':')[1];

export type Data = Record<string, unknown>;
export type Answer<T = Data> = GraphQLResponse<T>;

export interface Paged {
  ids: string[];
  totals: number[];
  pageSizes: number[];
  /** Whether a page said there was more after it (forward) or before it (backward). */
  more: boolean[];
}

/** Errors that mean the hub broke, not that it refused. */
const EXPECTED_CODES = new Set(['UNAUTHENTICATED', 'FORBIDDEN']);

export class Api {
  /** API requests made, for the report. */
  requests = 0;

  constructor(
    private readonly hub: TestHub,
    /** The dev-issuer subject of each registered person. */
    private readonly subjectOf: (userId: string) => string,
  ) {}

  private async tokenFor(actor: Actor): Promise<string | undefined> {
    switch (actor.kind) {
      case 'anonymous':
        return undefined;
      case 'unregistered':
        return this.hub.token('stranger@iso.example', { sub: 'iso-unregistered-subject', acr: 'high' });
      case 'user': {
        const subject = this.subjectOf(actor.id);
        return this.hub.token(subject, { sub: subject, acr: actor.level });
      }
    }
  }

  /** A request as a machine client (a client-credentials token of the development issuer). */
  async callAsClient<T = Data>(client: string, query: string, variables: Data = {}): Promise<Answer<T>> {
    this.requests++;
    const res = await this.hub.gql<T>(query, variables, await this.hub.clientToken(client));
    const unexpected = (res.errors ?? []).filter((e) => !EXPECTED_CODES.has(String(e.extensions?.code)));
    if (unexpected.length) throw new Error(`unexpected errors from ${query.replace(/\s+/g, ' ').slice(0, 80)}…: ${JSON.stringify(unexpected)}`);
    return res;
  }

  async call<T = Data>(actor: Actor, query: string, variables: Data = {}): Promise<Answer<T>> {
    const token = await this.tokenFor(actor);
    this.requests++;
    const res = await this.hub.gql<T>(query, variables, token);
    const unexpected = (res.errors ?? []).filter((e) => !EXPECTED_CODES.has(String(e.extensions?.code)));
    if (unexpected.length) throw new Error(`unexpected errors from ${query.replace(/\s+/g, ' ').slice(0, 80)}…: ${JSON.stringify(unexpected)}`);
    return res;
  }

  /**
   * Pages through a whole list with pages of `size`, forward (first/after) or backward (last/before),
   * collecting ids in list order and the totalCount every page reports.
   */
  async pageThrough(actor: Actor, of: Collection, size: number, backward: boolean, filter: { declaration: string; argument: string; variables: Data }): Promise<Answer | Paged> {
    const args = backward ? 'last: $n, before: $c' : 'first: $n, after: $c';
    const query = `query($n: Int, $c: String${filter.declaration}) { list: ${LIST_FIELD[of]}(${args}${filter.argument}) {
      totalCount nodes { id } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`;
    const paged: Paged = { ids: [], totals: [], pageSizes: [], more: [] };
    let cursor: string | null = null;
    for (let page = 0; page < 500; page++) {
      const res: Answer<{ list: { totalCount: number; nodes: { id: string }[]; pageInfo: Record<string, string | boolean | null> } }> = await this.call(actor, query, {
        n: size,
        c: cursor,
        ...filter.variables,
      });
      if (res.errors || !res.data) return res;
      const { totalCount, nodes, pageInfo } = res.data.list;
      const ids = nodes.map((n) => rawId(n.id));
      paged.ids = backward ? [...ids, ...paged.ids] : [...paged.ids, ...ids];
      paged.totals.push(totalCount);
      paged.pageSizes.push(ids.length);
      const more = Boolean(backward ? pageInfo.hasPreviousPage : pageInfo.hasNextPage);
      paged.more.push(more);
      if (!more) return paged;
      cursor = (backward ? pageInfo.startCursor : pageInfo.endCursor) as string;
    }
    throw new Error(`paging ${of} did not end after 500 pages`);
  }
}
