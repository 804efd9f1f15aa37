import type { Em } from '../db/orm.js';
import { idOfType } from '../domain/global-id.js';
import { Problems } from '../domain/problems.js';
import { Service } from './service.entity.js';

/** The service named by a global id in an input, or a NOT_FOUND userError on that field. */
export async function requireService(em: Em, globalId: string, field: string[]): Promise<Service> {
  const id = idOfType(globalId, 'Service');
  const service = id ? await em.findOne(Service, id) : null;
  if (!service) throw Problems.notFound(field, 'service');
  return service;
}
