import DataLoader from 'dataloader';
import type { EntityName } from '@mikro-orm/core';
import type { Page, PageRequest } from './paging.js';
import type { Em } from './orm.js';
import { countRowsByParent, fetchPagesByParent, type ListQuery } from './paginate.js';

/**
 * Batches a nested connection (a page of children per parent row) into one statement per distinct
 * filter and page request. `filterKey` names the filter so equal requests share a batch.
 */
export class NestedPageLoader<T extends object, F> {
  private readonly pages: DataLoader<{ parentId: string; filter: F; request: PageRequest }, Page<T>, string>;
  private readonly counts: DataLoader<{ parentId: string; filter: F }, number, string>;

  constructor(em: Em, entity: EntityName<T>, query: (filter: F) => ListQuery & { parentColumn: string }) {
    this.pages = new DataLoader<{ parentId: string; filter: F; request: PageRequest }, Page<T>, string>(
      async (keys) => {
        const out = new Map<string, Page<T>>();
        for (const group of groupBy<{ parentId: string; filter: F; request: PageRequest }>(keys, (k) => JSON.stringify([k.filter, k.request]))) {
          const parentIds = [...new Set(group.map((k) => k.parentId))];
          const pages = await fetchPagesByParent(em, entity, query(group[0].filter), parentIds, group[0].request);
          for (const k of group) out.set(pageKey(k), pages.get(k.parentId)!);
        }
        return keys.map((k) => out.get(pageKey(k))!);
      },
      { cacheKeyFn: pageKey },
    );
    this.counts = new DataLoader<{ parentId: string; filter: F }, number, string>(
      async (keys) => {
        const out = new Map<string, number>();
        for (const group of groupBy<{ parentId: string; filter: F }>(keys, (k) => JSON.stringify(k.filter))) {
          const parentIds = [...new Set(group.map((k) => k.parentId))];
          const counts = await countRowsByParent(em, query(group[0].filter), parentIds);
          for (const k of group) out.set(countKey(k), counts.get(k.parentId) ?? 0);
        }
        return keys.map((k) => out.get(countKey(k))!);
      },
      { cacheKeyFn: countKey },
    );
  }

  page(parentId: string, filter: F, request: PageRequest): Promise<Page<T>> {
    return this.pages.load({ parentId, filter, request });
  }

  count(parentId: string, filter: F): Promise<number> {
    return this.counts.load({ parentId, filter });
  }
}

function pageKey(k: { parentId: string; filter: unknown; request: PageRequest }): string {
  return JSON.stringify([k.parentId, k.filter, k.request]);
}

function countKey(k: { parentId: string; filter: unknown }): string {
  return JSON.stringify([k.parentId, k.filter]);
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(item);
  }
  return [...groups.values()];
}
