import { AccessDenied } from './errors.js';
import { idOfType } from './global-id.js';
import { Problems } from './problems.js';

/**
 * The object a mutation acts on, locked for its transaction. Out of scope answers exactly like an id
 * that does not exist; in sight but not the viewer's to change is FORBIDDEN, since hiding it would
 * contradict what they can already read.
 */
export async function lockTarget<T>(options: {
  globalId: string;
  type: string;
  /** The row, locked, when the viewer may act on it. */
  lock: (id: string) => Promise<T | null>;
  /** Whether the viewer may at least see it. */
  visible: (id: string) => Promise<boolean>;
  what: string;
  forbiddenMessage: string;
}): Promise<T> {
  const id = idOfType(options.globalId, options.type);
  const target = id ? await options.lock(id) : null;
  if (target) return target;
  if (id && (await options.visible(id))) throw AccessDenied.forbidden(options.forbiddenMessage);
  throw Problems.notFound(['id'], options.what);
}
