import { Field, InputType } from 'type-graphql';
import { TextLimit } from '../graphql/input-guard.js';
import { REASON_MAX_LENGTH } from '../domain/problems.js';
import { DateTime } from '../graphql/scalars.js';

@InputType('GrantChangeInput', { description: 'Why a grant is revoked, suspended or resumed; kept in the audit trail.' })
export class GrantChangeInput {
  @Field(() => String, { description: 'Required.' })
  @TextLimit({ maxLength: REASON_MAX_LENGTH, multiline: true })
  reason!: string;
}

@InputType('GrantRenewInput')
export class GrantRenewInput {
  @Field(() => DateTime, { description: 'The new end of validity: in the future and later than the current one.' })
  validTo!: Date;
}
