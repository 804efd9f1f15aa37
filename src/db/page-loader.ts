import DataLoader from 'dataloader';
import type { EntityName } from '@mikro-orm/core';
import type { Page, PageRequest } from './paging.js';
import type { Em } from './orm.js';
import { countRowsByParent, fetchPagesByParent, type ListQuery } from './paginate.js';

interface PageKey<F> {
  parentId: string;
  filter: F;
  request: PageRequest;
  /** The filter and the request as JSON: keys with the same one share a statement. */
  group: string;
}

interface CountKey<F> {
  parentId: string;
  filter: F;
  group: string;
}

const cacheKey = (k: { parentId: string; group: string }) => `${k.parentId}\n${k.group}`;

/**
 * Batches a nested connection (a page of children per parent row) into one statement per distinct
 * filter and page request. The filter names the batch, so equal requests share one; it is written as
 * JSON once per load.
 */
export class NestedPageLoader<T extends object, F> {
  private readonly pages: DataLoader<PageKey<F>, Page<T>, string>;
  private readonly counts: DataLoader<CountKey<F>, number, string>;

  constructor(em: Em, entity: EntityName<T>, query: (filter: F) => ListQuery & { parentColumn: string }) {
    this.pages = new DataLoader<PageKey<F>, Page<T>, string>(
      async (keys) => {
        const out = new Map<string, Page<T>>();
        for (const group of groupBy(keys)) {
          const parentIds = [...new Set(group.map((k) => k.parentId))];
          const pages = await fetchPagesByParent(em, entity, query(group[0].filter), parentIds, group[0].request);
          for (const k of group) out.set(cacheKey(k), pages.get(k.parentId)!);
        }
        return keys.map((k) => out.get(cacheKey(k))!);
      },
      { cacheKeyFn: cacheKey },
    );
    this.counts = new DataLoader<CountKey<F>, number, string>(
      async (keys) => {
        const out = new Map<string, number>();
        for (const group of groupBy(keys)) {
          const parentIds = [...new Set(group.map((k) => k.parentId))];
          const counts = await countRowsByParent(em, query(group[0].filter), parentIds);
          for (const k of group) out.set(cacheKey(k), counts.get(k.parentId) ?? 0);
        }
        return keys.map((k) => out.get(cacheKey(k))!);
      },
      { cacheKeyFn: cacheKey },
    );
  }

  page(parentId: string, filter: F, request: PageRequest): Promise<Page<T>> {
    return this.pages.load({ parentId, filter, request, group: JSON.stringify([filter, request]) });
  }

  count(parentId: string, filter: F): Promise<number> {
    return this.counts.load({ parentId, filter, group: JSON.stringify(filter) });
  }
}

function groupBy<K extends { group: string }>(items: readonly K[]): K[][] {
  const groups = new Map<string, K[]>();
  for (const item of items) {
    const list = groups.get(item.group);
    if (list) list.push(item);
    else groups.set(item.group, [item]);
  }
  return [...groups.values()];
}
