import type { Policy } from '../auth/policy.js';
import type { Em } from '../db/orm.js';
import { countRows, fetchPage } from '../db/paginate.js';
import { and, sql, execute } from '../db/sql.js';
import type { Page, PageRequest } from '../db/paging.js';
import { AppointmentState, OrdererAppointment } from './orderer-appointment.entity.js';

export interface AppointmentFilter {
  serviceId?: string | null;
  state?: AppointmentState | null;
}

/** Orderer appointments through the viewer's policy. */
export class OrdererAppointmentRepository {
  constructor(
    private readonly em: Em,
    private readonly policy: Policy,
  ) {}

  private listQuery(filter: AppointmentFilter) {
    const conditions = [this.policy.readableAppointments('t')];
    if (filter.serviceId) conditions.push(sql`t.service_id = ${filter.serviceId}`);
    if (filter.state) conditions.push(sql`t.state = ${filter.state}`);
    return { from: sql`orderer_appointments t`, where: and(conditions), keys: ['t.created_at', 't.id'] };
  }

  page(filter: AppointmentFilter, request: PageRequest): Promise<Page<OrdererAppointment>> {
    return fetchPage(this.em, OrdererAppointment, this.listQuery(filter), request);
  }

  count(filter: AppointmentFilter): Promise<number> {
    return countRows(this.em, this.listQuery(filter));
  }

  async findVisible(ids: string[]): Promise<OrdererAppointment[]> {
    if (ids.length === 0) return [];
    const q = sql`select t.* from orderer_appointments t where t.id in (${ids}) and ${this.policy.readableAppointments('t')}`;
    const rows = await execute<Record<string, unknown>>(this.em, q);
    return rows.map((r) => this.em.map(OrdererAppointment, r));
  }

  /** An appointment the viewer decides (as its person's responsible issuer), locked for the transaction. */
  async findDecidableForUpdate(id: string): Promise<OrdererAppointment | null> {
    const q = sql`select t.* from orderer_appointments t where t.id = ${id} and ${this.policy.decidableAppointments('t')} for update`;
    const [row] = await execute<Record<string, unknown>>(this.em, q);
    return row ? this.em.map(OrdererAppointment, row) : null;
  }

  /** Whether the person already has a pending or approved appointment for the scope overlapping the period. */
  async overlaps(userId: string, serviceId: string, scopeId: string, from: Date, to: Date | null, except?: string): Promise<boolean> {
    const q = sql`select 1 from orderer_appointments a where a.user_id = ${userId} and a.service_id = ${serviceId}
      and a.scope_id = ${scopeId} and a.state in ('requested', 'approved')
      and (a.valid_to is null or a.valid_to > ${from.toISOString()}::timestamptz)
      ${to ? sql`and a.valid_from < ${to.toISOString()}::timestamptz` : sql``}
      ${except ? sql`and a.id <> ${except}` : sql``} limit 1`;
    const rows = await execute(this.em, q);
    return rows.length > 0;
  }
}
