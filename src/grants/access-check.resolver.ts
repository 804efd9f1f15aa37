import { Arg, Ctx, Query, Resolver } from 'type-graphql';
import type { Context } from '../graphql/context.js';
import { checkAccess } from './access-check.service.js';
import { AccessCheckType, PersonLookupInput } from './access-check.type.js';

@Resolver()
export class AccessCheckResolver {
  @Query(() => AccessCheckType, {
    nullable: true,
    description: "For a service's client: one person's usable grants of its service. Null for anyone who never held one, as for an unknown person.",
  })
  accessCheck(@Ctx() ctx: Context, @Arg('person', () => PersonLookupInput) person: PersonLookupInput) {
    return checkAccess(ctx, person);
  }
}
