import { defaultFieldResolver, getNullableType, GraphQLError, GraphQLObjectType, isListType, type GraphQLSchema } from 'graphql';

export const RESPONSE_TOO_LARGE = 'RESPONSE_TOO_LARGE';

/**
 * What one answer may hold, counted while it executes: the static cost is an estimate (a list
 * without a page size is guessed), this is the real count. Every element of every list resolved
 * counts one, so the objects of an answer, and with the field limits its size, stay bounded
 * whatever the query and the data.
 */
export class ResponseBudget {
  private items = 0;
  /** Set once the budget is spent; the whole answer is then replaced by one error. */
  exceeded = false;

  constructor(readonly maxItems: number) {}

  spend(count: number): boolean {
    this.items += count;
    if (this.items > this.maxItems) this.exceeded = true;
    return !this.exceeded;
  }

  error(): GraphQLError {
    return new GraphQLError(
      `The answer would hold more than ${this.maxItems} list items. Ask for smaller pages or fewer nested lists.`,
      { extensions: { code: RESPONSE_TOO_LARGE, max: this.maxItems, http: { status: 400 } } },
    );
  }
}

interface WithBudget {
  budget?: ResponseBudget;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

/**
 * Wraps every field returning a list so its length is charged to the request's budget; past the
 * budget, lists resolve empty (no further loading) and the server answers the one error instead.
 * Only list fields are wrapped: a scalar field costs nothing extra.
 */
export function withResponseBudget(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!(type instanceof GraphQLObjectType) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      if (!isListType(getNullableType(field.type))) continue;
      const resolve = field.resolve ?? defaultFieldResolver;
      const charge = (budget: ResponseBudget | undefined, value: unknown): unknown => {
        if (!budget || !Array.isArray(value)) return value;
        if (budget.exceeded) return [];
        return budget.spend(value.length) ? value : [];
      };
      field.resolve = (source, args, context: WithBudget, info) => {
        const budget = context?.budget;
        if (budget?.exceeded) return [];
        const value = resolve(source, args, context, info);
        return isPromiseLike(value) ? Promise.resolve(value).then((v) => charge(budget, v)) : charge(budget, value);
      };
    }
  }
  return schema;
}
