import type { Policy } from '../auth/policy.js';
import type { Em } from '../db/orm.js';
import { countRows, fetchPage } from '../db/paginate.js';
import type { Page, PageRequest } from '../db/paging.js';
import { execute, sql } from '../db/sql.js';
import { Client } from './client.entity.js';

/** Clients through the viewer's policy: those of the services and issuer organisations they administer. */
export class ClientRepository {
  constructor(
    private readonly em: Em,
    private readonly policy: Policy,
  ) {}

  private listQuery() {
    return { from: sql`clients t`, where: this.policy.administeredClients('t'), keys: ['t.name', 't.id'] };
  }

  page(request: PageRequest): Promise<Page<Client>> {
    return fetchPage(this.em, Client, this.listQuery(), request);
  }

  count(): Promise<number> {
    return countRows(this.em, this.listQuery());
  }

  async findVisible(ids: string[]): Promise<Client[]> {
    if (ids.length === 0) return [];
    const own = this.policy.viewer.client ? sql` or t.id = ${this.policy.viewer.client.id}` : sql``;
    const rows = await execute<Record<string, unknown>>(this.em, sql`select t.* from clients t where t.id in (${ids}) and (${this.policy.administeredClients('t')}${own})`);
    return rows.map((r) => this.em.map(Client, r));
  }

  /** A client the viewer administers, locked for the transaction; null when not theirs. */
  async findAdministeredForUpdate(id: string): Promise<Client | null> {
    const [row] = await execute<Record<string, unknown>>(this.em, sql`select t.* from clients t where t.id = ${id} and ${this.policy.administeredClients('t')} for update`);
    return row ? this.em.map(Client, row) : null;
  }

  /** The credentials (issuer, OAuth client id) of clients, by client id. */
  async credentialsOf(clientIds: string[]): Promise<Map<string, { issuer: string; clientId: string }[]>> {
    const result = new Map<string, { issuer: string; clientId: string }[]>(clientIds.map((id) => [id, []]));
    if (clientIds.length === 0) return result;
    const rows = await execute<{ client_id: string; issuer: string; oauth_client_id: string }>(
      this.em,
      sql`select client_id, issuer, oauth_client_id from client_credentials where client_id in (${clientIds}) order by issuer, oauth_client_id`,
    );
    for (const r of rows) result.get(r.client_id)?.push({ issuer: r.issuer, clientId: r.oauth_client_id });
    return result;
  }
}
