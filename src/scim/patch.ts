import { PATCH_OPERATION_SCHEMA, ScimError as PatchError, scimPatch, type ScimPatchOperation, type ScimResource as PatchResource } from 'scim-patch';
import { ScimError } from './scim-error.js';
import type { ScimResource } from './resource.js';

/** The most operations one PATCH request may carry. */
export const MAX_PATCH_OPERATIONS = 100;

/** `"True"` / `"False"` (as Entra ID sends them) as booleans, anywhere in a value. */
export function stringBooleans(value: unknown, booleanKeys: Set<string>, key = ''): unknown {
  if (typeof value === 'string' && booleanKeys.has(key.toLowerCase()) && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  if (Array.isArray(value)) return value.map((v) => stringBooleans(v, booleanKeys, key));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, stringBooleans(v, booleanKeys, k)]));
  }
  return value;
}

/**
 * A PATCH request (RFC 7644 3.5.2) applied to the current resource with scim-patch, after reading
 * what Entra ID sends the way the RFC means it: `Replace`/`Add`/`Remove` in any case, and booleans
 * as strings for the attributes named in `booleanKeys` (a path's last part or a value's key).
 */
export function applyPatch<T extends ScimResource>(current: T, body: unknown, booleanKeys: Set<string>): T {
  const request = body as { schemas?: unknown; Operations?: unknown } | null;
  if (!request || typeof request !== 'object' || !Array.isArray(request.schemas) || !request.schemas.includes(PATCH_OPERATION_SCHEMA)) {
    throw ScimError.badRequest('invalidSyntax', `A PATCH body has schemas [${PATCH_OPERATION_SCHEMA}].`);
  }
  const ops = request.Operations;
  if (!Array.isArray(ops) || ops.length === 0) throw ScimError.badRequest('invalidSyntax', 'A PATCH body has at least one operation in "Operations".');
  if (ops.length > MAX_PATCH_OPERATIONS) throw ScimError.badRequest('tooMany', `A PATCH request has at most ${MAX_PATCH_OPERATIONS} operations.`);
  const operations = ops.map((raw: unknown) => {
    const op = raw as { op?: unknown; path?: unknown; value?: unknown };
    if (!op || typeof op !== 'object' || typeof op.op !== 'string' || !/^(add|replace|remove)$/i.test(op.op)) {
      throw ScimError.badRequest('invalidSyntax', 'Each operation\'s "op" is add, replace or remove.');
    }
    if (op.path !== undefined && typeof op.path !== 'string') throw ScimError.badRequest('invalidPath', '"path" is a string.');
    const last = typeof op.path === 'string' ? (op.path.split(/[.:]/).pop() ?? '') : '';
    return {
      op: op.op.toLowerCase(),
      ...(op.path !== undefined ? { path: op.path } : {}),
      ...(op.value !== undefined ? { value: stringBooleans(op.value, booleanKeys, last) } : {}),
    } as ScimPatchOperation;
  });
  try {
    return scimPatch(structuredClone(current) as unknown as PatchResource, operations, { mutateDocument: false, treatMissingAsAdd: true }) as unknown as T;
  } catch (error) {
    if (error instanceof PatchError) {
      const type = error.scimCode;
      const scimType = type === 'noTarget' || type === 'invalidPath' || type === 'invalidValue' || type === 'invalidSyntax' || type === 'mutability' ? type : 'invalidValue';
      throw ScimError.badRequest(scimType, error.message || 'The PATCH operation does not apply to this resource.');
    }
    throw error;
  }
}
