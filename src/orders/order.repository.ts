import type { Policy } from '../auth/policy.js';
import type { Em } from '../db/orm.js';
import { countRows, fetchPage } from '../db/paginate.js';
import { and, execute, sql } from '../db/sql.js';
import type { Page, PageRequest } from '../db/paging.js';
import { Order, type OrderState } from './order.entity.js';

export interface OrderFilter {
  serviceId?: string | null;
  state?: OrderState | null;
  /** Only orders the viewer decides (an issuer's inbox). */
  toDecide?: boolean;
}

/** Orders through the viewer's policy. */
export class OrderRepository {
  constructor(
    private readonly em: Em,
    private readonly policy: Policy,
  ) {}

  private listQuery(filter: OrderFilter) {
    const conditions = [filter.toDecide ? this.policy.decidableOrders('t') : this.policy.readableOrders('t')];
    if (filter.serviceId) conditions.push(sql`t.service_id = ${filter.serviceId}`);
    if (filter.state) conditions.push(sql`t.state = ${filter.state}`);
    return { from: sql`orders t`, where: and(conditions), keys: ['t.submitted_at', 't.id'] };
  }

  page(filter: OrderFilter, request: PageRequest): Promise<Page<Order>> {
    return fetchPage(this.em, Order, this.listQuery(filter), request);
  }

  count(filter: OrderFilter): Promise<number> {
    return countRows(this.em, this.listQuery(filter));
  }

  async findVisible(ids: string[]): Promise<Order[]> {
    if (ids.length === 0) return [];
    const rows = await execute(this.em, sql`select t.* from orders t where t.id in (${ids}) and ${this.policy.readableOrders('t')}`);
    return rows.map((r) => this.em.map(Order, r));
  }

  /** An order the viewer may act on (by the given condition), locked for the transaction. */
  async findForUpdate(id: string, condition: 'decide' | 'own'): Promise<Order | null> {
    const user = this.policy.viewer.user;
    const allowed = condition === 'decide' ? this.policy.decidableOrders('t') : sql`t.ordered_by_id = ${user?.id ?? null}`;
    const [row] = await execute(this.em, sql`select t.* from orders t where t.id = ${id} and ${allowed} for update`);
    return row ? this.em.map(Order, row) : null;
  }
}

