import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../graphql/context.js';
import { withUserErrors } from '../graphql/payload.js';
import { PageArgs, pageRequest, registerNode } from '../graphql/relay.js';
import { registerEntityKey } from '../graphql/federation.js';
import { Organisation, OrganisationKind } from './organisation.entity.js';
import { OrganisationImportService } from './organisation-import.service.js';
import { OrganisationRepository } from './organisation.repository.js';
import { SEARCH_MAX_WORDS, searchWords } from '../db/search.js';
import { OrganisationService } from './organisation.service.js';
import {
  OrganisationCloseInput,
  OrganisationConnection,
  OrganisationCreateInput,
  OrganisationImportAction,
  OrganisationImportInput,
  OrganisationImportPayload,
  OrganisationMoveInput,
  OrganisationPayload,
  OrganisationRenameInput,
  OrganisationType,
} from './organisation.type.js';

registerNode(Organisation, {
  typeName: 'Organisation',
  loadVisible: async (ctx, ids) => {
    const rows = await new OrganisationRepository(ctx.em, ctx.policy).findVisible(ids);
    return new Map(rows.map((r) => [r.id, r]));
  },
});

registerEntityKey({
  typeName: 'Organisation',
  field: 'registrationNumber',
  loadVisible: (ctx, numbers) => new OrganisationRepository(ctx.em, ctx.policy).findVisibleByRegistrationNumber(numbers),
});

const KEY_WIDTH = 2;

@Resolver(() => OrganisationType)
export class OrganisationResolver {
  @Query(() => OrganisationConnection, { description: 'Organisations you may see, by name.' })
  organisations(
    @Ctx() ctx: Context,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('kind', () => OrganisationKind, { nullable: true }) kind: OrganisationKind | null,
    @Arg('search', () => String, {
      nullable: true,
      description: `Only organisations whose name or registration number starts with this text, whatever the case; at most ${SEARCH_MAX_WORDS} words.`,
    })
    search: string | null,
  ) {
    ctx.policy.requireUser();
    const repo = new OrganisationRepository(ctx.em, ctx.policy);
    const request = pageRequest(page, ctx.config.maxPageSize, KEY_WIDTH);
    const filter = { kind, search: searchWords(search) };
    return repo.page(filter, request).then((p) => new OrganisationConnection(p, () => repo.count(filter)));
  }

  @FieldResolver(() => OrganisationType, { nullable: true, description: 'The organisation above this one; null at a root.' })
  parent(@Root() org: Organisation, @Ctx() ctx: Context) {
    return org.parent ? ctx.loaders.organisation.get(org.parent.id) : null;
  }

  @FieldResolver(() => OrganisationConnection, { description: 'The organisations directly below this one that you may see.' })
  async children(@Root() org: Organisation, @Ctx() ctx: Context, @Args(() => PageArgs) page: PageArgs) {
    const request = pageRequest(page, ctx.config.maxPageSize, KEY_WIDTH, 20, { nested: true });
    const loader = ctx.loaders.childrenByOrganisation;
    return new OrganisationConnection(await loader.page(org.id, {}, request), () => loader.count(org.id, {}));
  }

  @Mutation(() => OrganisationPayload, {
    description: 'Adds a unit under an organisation you administer; a service authority also adds legal entities of the kinds its routine admits.',
  })
  organisationCreate(@Ctx() ctx: Context, @Arg('input', () => OrganisationCreateInput) input: OrganisationCreateInput): Promise<OrganisationPayload> {
    return withUserErrors(OrganisationPayload, async () => ({ organisation: await new OrganisationService(ctx).create(input) }));
  }

  @Mutation(() => OrganisationPayload, { description: 'Renames an open organisation you administer.' })
  organisationRename(@Ctx() ctx: Context, @Arg('id', () => ID) id: string, @Arg('input', () => OrganisationRenameInput) input: OrganisationRenameInput): Promise<OrganisationPayload> {
    return withUserErrors(OrganisationPayload, async () => ({ organisation: await new OrganisationService(ctx).rename(id, input.name) }));
  }

  @Mutation(() => OrganisationPayload, {
    description: 'Moves an organisation you administer, with everything below it, under another one you administer (never under itself or its own units).',
  })
  organisationMove(@Ctx() ctx: Context, @Arg('id', () => ID) id: string, @Arg('input', () => OrganisationMoveInput) input: OrganisationMoveInput): Promise<OrganisationPayload> {
    return withUserErrors(OrganisationPayload, async () => ({ organisation: await new OrganisationService(ctx).move(id, input.parentId ?? null) }));
  }

  @Mutation(() => OrganisationPayload, {
    description: 'Closes an organisation you administer once nobody is employed there and no open unit, mandate, orderer appointment, order or grant depends on it; it keeps its history.',
  })
  organisationClose(@Ctx() ctx: Context, @Arg('id', () => ID) id: string, @Arg('input', () => OrganisationCloseInput, { nullable: true }) input: OrganisationCloseInput | null): Promise<OrganisationPayload> {
    return withUserErrors(OrganisationPayload, async () => ({ organisation: await new OrganisationService(ctx).close(id, input?.reason ?? null) }));
  }

  @Mutation(() => OrganisationImportPayload, {
    description: 'Creates, renames, moves (and with closeAbsent closes) the organisations of a register file, matched by registration number: re-running a file changes nothing.',
  })
  organisationImport(@Ctx() ctx: Context, @Arg('input', () => OrganisationImportInput) input: OrganisationImportInput): Promise<OrganisationImportPayload> {
    return withUserErrors(OrganisationImportPayload, async () => {
      const result = await new OrganisationImportService(ctx).importFile(await input.file, {
        dryRun: input.dryRun,
        closeAbsent: input.closeAbsent,
        field: ['input', 'file'],
        maxBytes: ctx.config.uploadMaxFileSize,
      });
      return { ...result, changes: result.changes.map((c) => ({ ...c, action: c.action as OrganisationImportAction })) };
    });
  }
}
