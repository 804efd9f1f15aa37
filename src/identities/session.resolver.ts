import { Ctx, Field, ObjectType, Query, Resolver, registerEnumType } from 'type-graphql';
import { AssuranceLevel } from '../auth/assurance.js';
import type { Context } from '../graphql/context.js';

registerEnumType(AssuranceLevel, { name: 'AssuranceLevel', description: 'eIDAS assurance level of a sign-in.' });

@ObjectType('IdentityProvider', { simpleResolvers: true, description: 'A trusted issuer of sign-in tokens: where to sign in.' })
export class IdentityProviderType {
  @Field(() => String, { description: 'The `iss` of its tokens.' })
  issuer!: string;

  @Field(() => String)
  name!: string;
}

@ObjectType('Session', { simpleResolvers: true, description: 'What the hub knows about the current sign-in.' })
export class SessionType {
  @Field(() => Boolean)
  authenticated!: boolean;

  @Field(() => Boolean, { description: 'Whether the sign-in is bound to a registered user (see `me`).' })
  registered!: boolean;

  @Field(() => String, { nullable: true })
  issuer!: string | null;

  @Field(() => String, { nullable: true, description: 'Employer registration number asserted by the identity provider.' })
  registrationNumber!: string | null;

  @Field(() => AssuranceLevel, { nullable: true })
  assuranceLevel!: AssuranceLevel | null;
}

@Resolver()
export class SessionResolver {
  @Query(() => SessionType, { description: 'The current sign-in; answers without a token too.' })
  session(@Ctx() ctx: Context): SessionType {
    const identity = ctx.viewer.identity;
    return {
      authenticated: identity !== null,
      registered: ctx.viewer.user !== null,
      issuer: identity?.issuer ?? null,
      registrationNumber: identity?.registrationNumber ?? null,
      assuranceLevel: identity?.assuranceLevel ?? null,
    };
  }

  @Query(() => [IdentityProviderType], { description: 'Where to sign in: the trusted identity providers. Public.' })
  identityProviders(@Ctx() ctx: Context): IdentityProviderType[] {
    return ctx.trustedIssuers.map((i) => ({ issuer: i.issuer, name: i.displayName ?? i.issuer }));
  }
}
