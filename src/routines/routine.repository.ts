import type { Em } from '../db/orm.js';
import { countRows, fetchPage } from '../db/paginate.js';
import { and, sql, execute } from '../db/sql.js';
import type { Page, PageRequest } from '../db/paging.js';
import type { OrganisationKind } from '../organisations/organisation.entity.js';
import { Routine } from './routine.entity.js';

/** Routines are published rules: readable by anyone, without a scope. */
export class RoutineRepository {
  constructor(private readonly em: Em) {}

  /**
   * The routine a service applies to an organisation kind at a moment: the newest one in force
   * written for that kind, else the newest one in force for every kind.
   */
  async inForce(serviceId: string, kind: OrganisationKind | null, at: Date = new Date()): Promise<Routine | null> {
    const q = sql`select r.* from routines r where r.service_id = ${serviceId} and r.effective_from <= ${at.toISOString()}::timestamptz
      and (r.organisation_kind is null ${kind ? sql`or r.organisation_kind = ${kind}` : sql``})
      order by (r.organisation_kind is null), r.effective_from desc limit 1`;
    const [row] = await execute<Record<string, unknown>>(this.em, q);
    return row ? this.em.map(Routine, row) : null;
  }

  /** The routine in force for a legal entity's kind: what a person of that organisation is judged by. */
  async inForceForOrganisation(serviceId: string, organisationId: string, at: Date = new Date()): Promise<Routine | null> {
    const q = sql`select le.kind from organisations o join organisations le on le.id = coalesce(o.legal_entity_id, o.id) where o.id = ${organisationId}`;
    const [row] = await execute<{ kind: OrganisationKind }>(this.em, q);
    return this.inForce(serviceId, row?.kind ?? null, at);
  }

  private listQuery(serviceId: string) {
    return { from: sql`routines t`, where: and([sql`t.service_id = ${serviceId}`]), keys: ['t.effective_from', 't.id'] };
  }

  page(serviceId: string, request: PageRequest): Promise<Page<Routine>> {
    return fetchPage(this.em, Routine, this.listQuery(serviceId), request);
  }

  count(serviceId: string): Promise<number> {
    return countRows(this.em, this.listQuery(serviceId));
  }
}
