import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/db/orm.js';
import { hubSchema, schemaSdl } from '../../src/app/schema.js';
import { subgraphSdl } from '../../src/app/federation.js';

describe('schema/schema.graphql', () => {
  it('should equal the SDL the code builds (run `npm run schema:print` after changing the schema)', async () => {
    const committed = readFileSync(join(projectRoot, 'schema', 'schema.graphql'), 'utf8');
    expect(await schemaSdl()).toBe(committed);
  });

  it('should have schema/subgraph.graphql equal the federation SDL the code builds', async () => {
    const committed = readFileSync(join(projectRoot, 'schema', 'subgraph.graphql'), 'utf8');
    expect(subgraphSdl(await hubSchema())).toBe(committed);
  });

  it('should follow the conventions: Node ids, connections with totalCount, payloads with userErrors', async () => {
    const sdl = await schemaSdl();
    for (const type of ['Organisation', 'Service', 'ServiceRole', 'SubArea', 'User', 'Grant', 'AuditEvent']) {
      expect(sdl).toMatch(new RegExp(`type ${type} implements Node`));
    }
    for (const connection of sdl.match(/type \w+Connection \{[^}]*\}/g) ?? []) {
      expect(connection).toContain('totalCount: Int!');
      expect(connection).toContain('pageInfo: PageInfo!');
    }
    for (const payload of sdl.match(/type \w+Payload \{[^}]*\}/g) ?? []) expect(payload).toContain('userErrors: [UserError!]!');
  });
});
