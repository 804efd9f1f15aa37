import { Arg, Args, Ctx, FieldResolver, ID, Int, Query, Resolver } from 'type-graphql';
import { GrantConnection } from '../grants/grant.type.js';
import { OrdererAppointmentConnection } from '../orderers/orderer-appointment.type.js';
import type { Context } from '../graphql/context.js';
import { PageArgs, pageRequest } from '../graphql/relay.js';
import { DateTime } from '../graphql/scalars.js';
import { UserConnection } from '../users/user.type.js';
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
    const reports = new ReportService(ctx);
    const stats = await reports.grantStatistics({ ...(await reports.narrowing(service, organisation)), asOf });
    const organisations = await ctx.loaders.organisation.loadMany(stats.byOrganisation.map((r) => r.organisationId));
    return {
      ...stats,
      asOf: asOf ?? new Date(),
      byOrganisation: stats.byOrganisation.map((r, i) => ({ organisation: organisations[i], subtreeTotal: r.subtreeTotal })),
    };
  }

  @FieldResolver(() => [OrdersWaitingType], { description: 'Undecided orders by responsible issuer, with age buckets and the oldest.' })
  async ordersWaiting(@Ctx() ctx: Context, @Arg('service', () => ID, { nullable: true }) service: string | null) {
    const reports = new ReportService(ctx);
    const { serviceId } = await reports.narrowing(service, null);
    const rows = await reports.ordersWaiting(serviceId);
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
    const reports = new ReportService(ctx);
    const { serviceId } = await reports.narrowing(service, null);
    const rows = await reports.issuerWorkload(serviceId, from, to);
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
    const reports = new ReportService(ctx);
    const { serviceId } = await reports.narrowing(service, null);
    return reports.grantTrend(serviceId, from, to);
  }

  @FieldResolver(() => GrantConnection, { description: 'Active grants ending within the given number of days, soonest first.' })
  async grantsExpiring(
    @Ctx() ctx: Context,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('withinDays', () => Int) withinDays: number,
    @Arg('service', () => ID, { nullable: true }) service: string | null,
  ) {
    const reports = new ReportService(ctx);
    const { serviceId } = await reports.narrowing(service, null);
    const list = reports.grantsExpiring(withinDays, serviceId);
    return new GrantConnection(await list.page(pageRequest(page, ctx.config.maxPageSize, list.keyWidth)), () => list.count());
  }

  @FieldResolver(() => UserConnection, { description: 'People you may see who hold no grant usable now.' })
  async peopleWithoutActiveGrant(
    @Ctx() ctx: Context,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('organisation', () => ID, { nullable: true }) organisation: string | null,
  ) {
    const reports = new ReportService(ctx);
    const { organisationPath } = await reports.narrowing(null, organisation);
    const list = reports.peopleWithoutActiveGrant(organisationPath);
    return new UserConnection(await list.page(pageRequest(page, ctx.config.maxPageSize, list.keyWidth)), () => list.count());
  }

  @FieldResolver(() => OrdererAppointmentConnection, { description: 'Orderers in office who placed no order in the given number of days.' })
  async inactiveOrderers(@Ctx() ctx: Context, @Args(() => PageArgs) page: PageArgs, @Arg('days', () => Int) n: number) {
    const list = new ReportService(ctx).inactiveOrderers(n);
    return new OrdererAppointmentConnection(await list.page(pageRequest(page, ctx.config.maxPageSize, list.keyWidth)), () => list.count());
  }
}
