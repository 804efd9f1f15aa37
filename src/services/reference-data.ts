import type { Em } from '../db/orm.js';
import { Service, ServiceRole, SubArea } from './service.entity.js';

/**
 * The service catalogue (services, roles, sub-areas) is small and changes only with a deployment,
 * yet almost every answer mentions it: keep it per database for a short while instead of asking
 * for it on every request.
 */
export interface ReferenceData {
  services: Map<string, Service>;
  roles: Map<string, ServiceRole>;
  subAreas: Map<string, SubArea>;
}

const TTL_MS = 60_000;
const cache = new WeakMap<object, { at: number; data: Promise<ReferenceData>; settled?: ReferenceData }>();

async function load(em: Em): Promise<ReferenceData> {
  const fork = em.fork();
  const [services, roles, subAreas] = await Promise.all([
    fork.find(Service, {}, { orderBy: { code: 'asc' } }),
    fork.find(ServiceRole, {}, { orderBy: { code: 'asc' } }),
    fork.find(SubArea, {}, { orderBy: { code: 'asc' } }),
  ]);
  return {
    services: new Map(services.map((s) => [s.id, s])),
    roles: new Map(roles.map((r) => [r.id, r])),
    subAreas: new Map(subAreas.map((a) => [a.id, a])),
  };
}

/** The catalogue of the database behind this EntityManager, at most a minute old. */
export function referenceData(em: Em): Promise<ReferenceData> {
  const key = em.getDriver();
  const hit = cache.get(key);
  if (hit && Date.now() - hit.at < TTL_MS) return hit.data;
  const data = load(em);
  const entry: { at: number; data: Promise<ReferenceData>; settled?: ReferenceData } = { at: Date.now(), data };
  cache.set(key, entry);
  data.then(
    (loaded) => (entry.settled = loaded),
    () => cache.delete(key),
  );
  return data;
}

/** The same catalogue when it is loaded and fresh, without waiting; undefined when it has to be asked for. */
export function referenceDataNow(em: Em): ReferenceData | undefined {
  const hit = cache.get(em.getDriver());
  return hit && Date.now() - hit.at < TTL_MS ? hit.settled : undefined;
}
