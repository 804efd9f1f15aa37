import type { Context } from '../graphql/context.js';
import { idOfType } from '../domain/global-id.js';
import { NO_ORGANISATION_PATH, Organisation } from '../organisations/organisation.entity.js';

const NO_ID = '00000000-0000-0000-0000-000000000000';

/**
 * The service and organisation a report is narrowed to. An organisation the viewer cannot see
 * narrows to nothing, exactly like one that does not exist.
 */
export async function reportScope(ctx: Context, service: string | null, organisation: string | null) {
  const serviceId = service ? (idOfType(service, 'Service') ?? NO_ID) : null;
  let organisationPath: string | null = null;
  let organisationId: string | null = null;
  if (organisation) {
    const found = await ctx.loaders.node.load(organisation);
    organisationPath = found instanceof Organisation ? found.path : NO_ORGANISATION_PATH;
    organisationId = found instanceof Organisation ? found.id : null;
  }
  return { serviceId, organisationPath, organisationId };
}
