import type { Logger } from 'pino';
import { openOrm, type DatabaseTarget, type Orm } from '../db/orm.js';
import { entities } from './entities.js';

/** The hub's database with every entity of every concept: PostgreSQL when a URL is given, PGlite otherwise. */
export function openDatabase(target: Omit<DatabaseTarget, 'entities'>, log?: Logger): Promise<Orm> {
  return openOrm({ ...target, entities }, log);
}
