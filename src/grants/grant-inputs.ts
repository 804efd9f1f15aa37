import { Field, InputType } from 'type-graphql';
import { DateTime } from '../graphql/scalars.js';

@InputType('GrantChangeInput', { description: 'Why a grant is revoked, suspended or resumed; kept in the audit trail.' })
export class GrantChangeInput {
  @Field(() => String, { description: 'Required, at most 2,000 characters.' })
  reason!: string;
}

@InputType('GrantRenewInput')
export class GrantRenewInput {
  @Field(() => DateTime, { description: 'The new end of validity: in the future and later than the current one.' })
  validTo!: Date;
}
