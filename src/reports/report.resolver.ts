import { Arg, Args, Ctx, FieldResolver, ID, Int, Query, Resolver } from 'type-graphql';
import { GrantConnection } from '../grants/grant.type.js';
import { Grant } from '../grants/grant.entity.js';
import { OrdererAppointment } from '../orderers/orderer-appointment.entity.js';
import { OrdererAppointmentConnection } from '../orderers/orderer-appointment.type.js';
import { countRows, fetchPage } from '../db/paginate.js';
import { UserRepository } from '../users/user.repository.js';
import { sql } from '../db/sql.js';
import type { Context } from '../graphql/context.js';
import { PageArgs, pageRequest } from '../graphql/relay.js';
import { DateTime } from '../graphql/scalars.js';
import { UserConnection } from '../users/user.type.js';
import { reportScope } from './report.scope.js';
import { ReportService } from './report.service.js';
import { GrantStatisticsType, GrantTrendPointType, IssuerWorkloadType, OrdersWaitingType, ReportsType } from './report.type.js';

@Resolver(() => ReportsType)
export class ReportResolver {
  @Query(() => ReportsType, { description: 'Reports for dashboards: aggregates over what you may see.' })
  reports(@Ctx() ctx: Context) {
    ctx.policy.requireUser();
    return new ReportsType();
  }

  @FieldResolver(() => GrantStatisticsType, { description: 'Grants by service, role, state and organisation, now or as of a past moment.' })
  async grantStatistics(
    @Ctx() ctx: Context,
    @Arg('service', () => ID, { nullable: true }) service: string | null,
    @Arg('organisation', () => ID, { nullable: true, description: 'Count this organisation’s subtree, broken down one level below it.' }) organisation: string | null,
    @Arg('asOf', () => DateTime, { nullable: true }) asOf: Date | null,
  ) {
    const scope = await reportScope(ctx, service, organisation);
    const stats = await new ReportService(ctx.em, ctx.policy).grantStatistics({ ...scope, asOf });
    const organisations = await ctx.loaders.organisation.loadMany(stats.byOrganisation.map((r) => r.organisationId));
    return {
      ...stats,
      asOf: asOf ?? new Date(),
      byOrganisation: stats.byOrganisation.map((r, i) => ({ organisation: organisations[i], subtreeTotal: r.subtreeTotal })),
    };
  }

  @FieldResolver(() => [OrdersWaitingType], { description: 'Undecided orders by responsible issuer, with age buckets and the oldest.' })
  async ordersWaiting(@Ctx() ctx: Context, @Arg('service', () => ID, { nullable: true }) service: string | null) {
    const { serviceId } = await reportScope(ctx, service, null);
    const rows = await new ReportService(ctx.em, ctx.policy).ordersWaiting(serviceId);
    const issuers = await ctx.loaders.organisation.loadMany(rows.map((r) => r.issuerId));
    return rows.map((r, i) => ({ ...r, issuer: issuers[i] }));
  }

  @FieldResolver(() => [IssuerWorkloadType], { description: 'Orders decided per issuer per week, with the median time to decision.' })
  async issuerWorkload(
    @Ctx() ctx: Context,
    @Arg('from', () => DateTime) from: Date,
    @Arg('to', () => DateTime) to: Date,
    @Arg('service', () => ID, { nullable: true }) service: string | null,
  ) {
    const { serviceId } = await reportScope(ctx, service, null);
    const rows = await new ReportService(ctx.em, ctx.policy).issuerWorkload(serviceId, from, to);
    const issuers = await ctx.loaders.organisation.loadMany(rows.map((r) => r.issuerId));
    return rows.map((r, i) => ({ ...r, issuer: issuers[i] }));
  }

  @FieldResolver(() => [GrantTrendPointType], { description: 'Grants issued (created) and ended per calendar month (UTC), from the month of `from` through the month of `to`, each month whole.' })
  async grantTrend(
    @Ctx() ctx: Context,
    @Arg('from', () => DateTime) from: Date,
    @Arg('to', () => DateTime) to: Date,
    @Arg('service', () => ID, { nullable: true }) service: string | null,
  ) {
    const { serviceId } = await reportScope(ctx, service, null);
    return new ReportService(ctx.em, ctx.policy).grantTrend(serviceId, from, to);
  }

  @FieldResolver(() => GrantConnection, { description: 'Active grants ending within the given number of days, soonest first.' })
  async grantsExpiring(
    @Ctx() ctx: Context,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('withinDays', () => Int) withinDays: number,
    @Arg('service', () => ID, { nullable: true }) service: string | null,
  ) {
    const { serviceId } = await reportScope(ctx, service, null);
    const reports = new ReportService(ctx.em, ctx.policy);
    const query = { from: sql`grants t`, where: reports.expiringGrants(withinDays, serviceId), keys: ['t.valid_to', 't.id'] };
    return new GrantConnection(await fetchPage(ctx.em, Grant, query, pageRequest(page, ctx.config.maxPageSize, 2)), () => reports.expiringGrantsCount(withinDays, serviceId));
  }

  @FieldResolver(() => UserConnection, { description: 'People you may see who hold no grant usable now.' })
  async peopleWithoutActiveGrant(
    @Ctx() ctx: Context,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('organisation', () => ID, { nullable: true }) organisation: string | null,
  ) {
    const { organisationPath } = await reportScope(ctx, null, organisation);
    const reports = new ReportService(ctx.em, ctx.policy);
    // The staff list's own scoped plans, narrowed to people without a grant in force: the same rows as
    // reports.peopleWithoutActiveGrant, which the CSV export and the count use.
    const people = await new UserRepository(ctx.em, ctx.policy).staff({ organisationPath }, reports.withoutGrantInForce()).page(pageRequest(page, ctx.config.maxPageSize, 3));
    return new UserConnection(people, () => reports.peopleWithoutActiveGrantCount(organisationPath));
  }

  @FieldResolver(() => OrdererAppointmentConnection, { description: 'Orderers in office who placed no order in the given number of days.' })
  async inactiveOrderers(@Ctx() ctx: Context, @Args(() => PageArgs) page: PageArgs, @Arg('days', () => Int) n: number) {
    const query = { from: sql`orderer_appointments t`, where: new ReportService(ctx.em, ctx.policy).inactiveOrderers(n), keys: ['t.created_at', 't.id'] };
    return new OrdererAppointmentConnection(await fetchPage(ctx.em, OrdererAppointment, query, pageRequest(page, ctx.config.maxPageSize, 2)), () => countRows(ctx.em, query));
  }
}
