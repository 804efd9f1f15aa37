import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { DateTime } from '../graphql/scalars.js';
import { OrganisationType } from '../organisations/organisation.type.js';

@ObjectType('CountBy', { simpleResolvers: true, description: 'A count for one value of a breakdown.' })
export class CountByType {
  @Field(() => ID, { description: 'The id or value counted (a service or role id, a state).' })
  key!: string;

  @Field(() => String)
  label!: string;

  @Field(() => Int)
  count!: number;
}

@ObjectType('OrganisationCount', { simpleResolvers: true, description: 'Grants of the people employed in an organisation and everything below it.' })
export class OrganisationCountType {
  @Field(() => OrganisationType)
  organisation!: object;

  @Field(() => Int)
  subtreeTotal!: number;
}

@ObjectType('GrantStatistics', { simpleResolvers: true, description: 'Grants you may see, counted as of a moment.' })
export class GrantStatisticsType {
  @Field(() => DateTime)
  asOf!: Date;

  @Field(() => Int)
  total!: number;

  @Field(() => [CountByType])
  byService!: CountByType[];

  @Field(() => [CountByType])
  byRole!: CountByType[];

  @Field(() => [CountByType])
  byState!: CountByType[];

  @Field(() => [OrganisationCountType], { description: 'One level down from the chosen organisation (or the roots), with subtree totals.' })
  byOrganisation!: OrganisationCountType[];
}

@ObjectType('OrdersWaiting', { simpleResolvers: true, description: 'Orders waiting for one issuer’s decision, by age.' })
export class OrdersWaitingType {
  @Field(() => OrganisationType)
  issuer!: object;

  @Field(() => Int)
  waiting!: number;

  @Field(() => Int)
  underOneDay!: number;

  @Field(() => Int)
  oneToSevenDays!: number;

  @Field(() => Int)
  sevenToThirtyDays!: number;

  @Field(() => Int)
  overThirtyDays!: number;

  @Field(() => DateTime)
  oldestSubmittedAt!: Date;
}

@ObjectType('IssuerWorkload', { simpleResolvers: true, description: 'Orders one issuer decided in one week.' })
export class IssuerWorkloadType {
  @Field(() => OrganisationType)
  issuer!: object;

  @Field(() => DateTime)
  weekStart!: Date;

  @Field(() => Int)
  decided!: number;

  @Field(() => Float)
  medianHoursToDecision!: number;
}

@ObjectType('GrantTrendPoint', { simpleResolvers: true, description: 'Grants issued and ended in one month.' })
export class GrantTrendPointType {
  @Field(() => DateTime)
  month!: Date;

  @Field(() => Int)
  issued!: number;

  @Field(() => Int)
  ended!: number;
}

@ObjectType('Reports', { simpleResolvers: true, description: 'Aggregates for dashboards, scoped exactly like the detail lists.' })
export class ReportsType {}
