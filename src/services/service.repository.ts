import type { EntityName } from '@mikro-orm/core';
import { countRows, fetchPage } from '../db/paginate.js';
import type { Em } from '../db/orm.js';
import { sql } from '../db/sql.js';
import type { Page, PageRequest } from '../db/paging.js';
import { Service } from './service.entity.js';

const catalogue = { from: sql`services t`, where: sql`true`, keys: ['t.code', 't.id'] };

/** The public service catalogue: read without a scope on purpose. */
export class ServiceRepository {
  constructor(private readonly em: Em) {}

  page(request: PageRequest): Promise<Page<Service>> {
    return fetchPage(this.em, Service, catalogue, request);
  }

  count(): Promise<number> {
    return countRows(this.em, catalogue);
  }

  async byIds<T extends { id: string }>(entity: EntityName<T>, ids: string[]): Promise<Map<string, object>> {
    const rows = await this.em.find(entity, { id: { $in: ids } } as never);
    return new Map(rows.map((r) => [r.id, r]));
  }

  findByCode(code: string): Promise<Service | null> {
    return this.em.findOne(Service, { code });
  }
}
