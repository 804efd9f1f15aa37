import type { Policy } from '../auth/policy.js';
import type { Em } from '../db/orm.js';
import { sql } from '../db/sql.js';
import { User } from './user.entity.js';

/** User queries, always through the viewer's policy. */
export class UserRepository {
  constructor(
    private readonly em: Em,
    private readonly policy: Policy,
  ) {}

  async findVisible(ids: string[]): Promise<User[]> {
    if (ids.length === 0) return [];
    const q = sql`select u.* from users u where u.id in (${ids}) and ${this.policy.readableUsers('u')}`;
    const rows = await this.em.getConnection().execute<Record<string, unknown>[]>(q.text, q.params);
    return rows.map((r) => this.em.map(User, r));
  }

  /** A user the viewer may change, locked for the rest of the transaction; null when not visible. */
  async findWritableForUpdate(id: string): Promise<User | null> {
    const q = sql`select u.* from users u where u.id = ${id} and ${this.policy.writableUsers('u')} for update`;
    const rows = await this.em.getConnection().execute<Record<string, unknown>[]>(q.text, q.params, 'all', this.em.getTransactionContext());
    return rows[0] ? this.em.map(User, rows[0]) : null;
  }
}
