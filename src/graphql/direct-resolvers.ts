import { getNamedType, GraphQLEnumType, GraphQLObjectType, GraphQLScalarType, type GraphQLField, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { getMetadataStorage } from 'type-graphql';

type Param = { kind: string; index: number; name?: string; propertyName?: string; getType?: () => unknown };
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
    if (params.some((p, i) => p.index !== i || !['root', 'context', 'info', 'args', 'arg'].includes(p.kind) || (p.kind === 'root' && p.propertyName))) continue;
    const objectClass = meta.getObjectType();
    const typeName = storage.objectTypes.find((o) => o.target === objectClass)?.name;
    const type = typeName ? schema.getType(typeName) : undefined;
    const field = type instanceof GraphQLObjectType ? type.getFields()[meta.schemaName] : undefined;
    if (!field?.resolve) continue;
    if (params.some((p) => p.kind === 'args' || p.kind === 'arg') && !plainArguments(field, params)) continue;
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
  const pick = (p: Param, root: unknown, args: Record<string, unknown>, ctx: Record<string, unknown>, info: unknown) => {
    switch (p.kind) {
      case 'root':
        return root;
      case 'info':
        return info;
      case 'arg':
        return args[p.name!];
      case 'args':
        return argsInstance(p.getType!() as new () => object, args);
      default:
        return context ? ctx[context] : ctx;
    }
  };
  const [first, second] = params.map((p) => p.kind);
  const convertible = (root: unknown) => rootClass !== null && root !== null && typeof root === 'object' && !(root instanceof rootClass);
  // The usual shapes without a per-call array: (root), (root, ctx).
  if (params.length === 1 && first === 'root') return (root, args, ctx, info) => (convertible(root) ? fallback(root, args, ctx, info) : method.call(instance, root));
  if (params.length === 2 && first === 'root' && second === 'context' && !context) {
    return (root, args, ctx, info) => (convertible(root) ? fallback(root, args, ctx, info) : method.call(instance, root, ctx));
  }
  return (root, args, ctx, info) =>
    convertible(root) ? fallback(root, args, ctx, info) : method.apply(instance, params.map((p) => pick(p, root, args as Record<string, unknown>, ctx as Record<string, unknown>, info)));
}

/**
 * Arguments type-graphql would hand over unchanged: every argument of the field a scalar or an enum
 * (no input object to turn into a class instance), and an @Args class with no field initialisers, which
 * type-graphql fills with the given values only. type-graphql's path also awaits its (disabled)
 * validation, so each such field cost a promise and a Promise.all per call.
 */
function plainArguments(field: GraphQLField<unknown, unknown>, params: Param[]): boolean {
  if (!field.args.every((a) => { const named = getNamedType(a.type); return named instanceof GraphQLScalarType || named instanceof GraphQLEnumType; })) return false;
  return params.every((p) => {
    if (p.kind === 'arg') return typeof p.name === 'string';
    if (p.kind !== 'args') return true;
    const Cls = p.getType?.();
    // Fields declared without a value still exist on an instance (as undefined): only a real default counts.
    return typeof Cls === 'function' && Object.values(new (Cls as new () => object)()).every((v) => v === undefined);
  });
}

/** As type-graphql builds it: an instance holding the given values of the class's fields, and no other keys. */
function argsInstance(Cls: new () => object, args: Record<string, unknown>): object {
  const instance = new Cls() as Record<string, unknown>;
  for (const key of Object.keys(instance)) if (!(key in args)) delete instance[key];
  for (const name of argsFieldNames(Cls)) if (args[name] !== undefined) instance[name] = args[name];
  return instance;
}

const argsFields = new Map<unknown, string[]>();

/** The fields an @ArgsType class declares, its superclasses' included (what type-graphql copies). */
function argsFieldNames(cls: unknown): string[] {
  let names = argsFields.get(cls);
  if (!names) {
    const storage = getMetadataStorage() as unknown as { argumentTypes: { target: unknown; fields: { name: string }[] }[] };
    names = [];
    for (let c = cls as { prototype?: unknown } | null; c && c.prototype !== undefined; c = Object.getPrototypeOf(c) as typeof c) {
      names.push(...(storage.argumentTypes.find((t) => t.target === c)?.fields.map((f) => f.name) ?? []));
    }
    argsFields.set(cls, names);
  }
  return names;
}
