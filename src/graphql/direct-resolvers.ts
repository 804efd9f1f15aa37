import { GraphQLObjectType, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { getMetadataStorage } from 'type-graphql';

type Param = { kind: string; index: number; propertyName?: string; getType?: () => unknown };
type FieldResolverMeta = {
  kind: 'internal' | 'external';
  target: new () => Record<string, (...args: unknown[]) => unknown>;
  methodName: string;
  schemaName: string;
  params?: Param[];
  middlewares?: unknown[];
  roles?: unknown[];
  getObjectType?: () => unknown;
};

/**
 * type-graphql calls every field resolver through one generic path: per call a resolver-data object, a
 * linear search of its container for the resolver's instance, and the parameter list sorted and mapped
 * again. A staff page calls a few hundred such fields (a grant's role, service and scope; a person's
 * employer). Where a field resolver takes only its parent (@Root, no property), the context (@Ctx) and
 * the info, and has no middleware or roles, this calls the method directly on one instance of its
 * stateless resolver class, with the same arguments. A parent that is not an instance of the declared
 * root type (type-graphql would convert it) takes type-graphql's own path.
 */
export function withDirectFieldResolvers(schema: GraphQLSchema): GraphQLSchema {
  const storage = getMetadataStorage() as unknown as {
    fieldResolvers: FieldResolverMeta[];
    objectTypes: { target: unknown; name: string }[];
  };
  const instances = new Map<FieldResolverMeta['target'], Record<string, (...args: unknown[]) => unknown>>();
  for (const meta of storage.fieldResolvers) {
    if (meta.kind !== 'external' || meta.middlewares?.length || meta.roles?.length || !meta.getObjectType) continue;
    const params = [...(meta.params ?? [])].sort((a, b) => a.index - b.index);
    if (params.some((p, i) => p.index !== i || !['root', 'context', 'info'].includes(p.kind) || (p.kind === 'root' && p.propertyName))) continue;
    const objectClass = meta.getObjectType();
    const typeName = storage.objectTypes.find((o) => o.target === objectClass)?.name;
    const type = typeName ? schema.getType(typeName) : undefined;
    const field = type instanceof GraphQLObjectType ? type.getFields()[meta.schemaName] : undefined;
    if (!field?.resolve) continue;
    let instance = instances.get(meta.target);
    if (!instance) instances.set(meta.target, (instance = new meta.target()));
    const method = instance[meta.methodName];
    if (typeof method !== 'function') continue;
    field.resolve = direct(instance, method, params, field.resolve);
  }
  return schema;
}

function direct(
  instance: object,
  method: (...args: unknown[]) => unknown,
  params: Param[],
  fallback: GraphQLFieldResolver<unknown, unknown>,
): GraphQLFieldResolver<unknown, unknown> {
  const rootType = params.find((p) => p.kind === 'root')?.getType?.();
  const rootClass = typeof rootType === 'function' ? (rootType as abstract new (...args: never[]) => unknown) : null;
  const context = params.find((p) => p.kind === 'context')?.propertyName;
  const pick = (kind: string, root: unknown, ctx: Record<string, unknown>, info: unknown) =>
    kind === 'root' ? root : kind === 'info' ? info : context ? ctx[context] : ctx;
  const [first, second] = params.map((p) => p.kind);
  const convertible = (root: unknown) => rootClass !== null && root !== null && typeof root === 'object' && !(root instanceof rootClass);
  // The usual shapes without a per-call array: (root), (root, ctx).
  if (params.length === 1 && first === 'root') return (root, args, ctx, info) => (convertible(root) ? fallback(root, args, ctx, info) : method.call(instance, root));
  if (params.length === 2 && first === 'root' && second === 'context' && !context) {
    return (root, args, ctx, info) => (convertible(root) ? fallback(root, args, ctx, info) : method.call(instance, root, ctx));
  }
  return (root, args, ctx, info) =>
    convertible(root) ? fallback(root, args, ctx, info) : method.apply(instance, params.map((p) => pick(p.kind, root, ctx as Record<string, unknown>, info)));
}
