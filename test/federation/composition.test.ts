import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { composeServices } from '@apollo/composition';
import { buildSchema, parse } from 'graphql';
import { subgraphSdl } from '../../src/app/federation.js';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/db/orm.js';
import { agencySdl } from './agency-subgraph.js';

const hubSdl = readFileSync(join(projectRoot, 'schema', 'subgraph.graphql'), 'utf8');

function compose(extra: { name: string; sdl: string }[] = []) {
  return composeServices([
    { name: 'hub', url: 'http://hub.invalid/graphql', typeDefs: parse(hubSdl) },
    { name: 'agency', url: 'http://agency.invalid/graphql', typeDefs: parse(agencySdl) },
    ...extra.map((s) => ({ name: s.name, url: `http://${s.name}.invalid/graphql`, typeDefs: parse(s.sdl) })),
  ]);
}

describe('the hub composed into a supergraph (offline, @apollo/composition)', () => {
  it('should compose with the sample agency subgraph with no errors and no hints', () => {
    const result = compose();
    expect(result.errors?.map((e) => e.message)).toBeUndefined();
    expect(result.hints?.map((h) => `${h.definition.code}: ${h.message}`)).toEqual([]);
    const supergraph = result.supergraphSdl!;
    // The agency's fields land on the hub's User, and its Organisation reference resolves in the hub.
    expect(supergraph).toMatch(/type User\s[^{]*@join__type\(graph: AGENCY, key: "email"\)[^{]*\{[^}]*caseload: Int @join__field\(graph: AGENCY\)/);
    expect(supergraph).toMatch(/type Organisation\s[^{]*@join__type\(graph: HUB, key: "registrationNumber"\)/);
  });

  it('should link the federation version @apollo/composition 2.14 supports', () => {
    expect(hubSdl).toContain('@link(url: "https://specs.apollo.dev/federation/v2.14"');
    const newer = hubSdl.replace('federation/v2.14', 'federation/v2.15');
    const result = composeServices([{ name: 'hub', url: 'http://hub.invalid/graphql', typeDefs: parse(newer) }]);
    // Would the hub link a version the composer does not know, no agency could compose it.
    expect(result.errors?.length).toBeGreaterThan(0);
  });

  it('should declare every entity the issue names with its keys', () => {
    for (const type of ['User', 'Organisation', 'Grant', 'Service', 'Order']) {
      expect(hubSdl).toMatch(new RegExp(`type ${type} implements Node\\s+@key\\(fields: "id"\\)`));
    }
    expect(hubSdl).toMatch(/type Organisation implements Node\s+@key\(fields: "id"\)\s+@key\(fields: "registrationNumber"\)/);
    expect(hubSdl).toMatch(/type User implements Node\s+@key\(fields: "id"\)\s+@key\(fields: "email"\)/);
  });

  it('should refuse to print a schema whose @key directives differ from what _entities resolves', () => {
    const undeclared = buildSchema('type Query { foo: Foo } type Foo @key(fields: "id") { id: ID! }', { assumeValidSDL: true });
    expect(() => subgraphSdl(undeclared)).toThrow(/Foo: @key\(id\) but _entities resolves none/);
    const keyless = buildSchema('type Query { user: User } type User { id: ID! }', { assumeValidSDL: true });
    expect(() => subgraphSdl(keyless)).toThrow(/User: @key\(none\) but _entities resolves id/);
  });

  it('should fail to compose a subgraph that claims one of the hub\'s own fields (the check can fail)', () => {
    const clash = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.14", import: ["@key"])
      type Query { x: Int }
      type User @key(fields: "id") { id: ID! givenName: Int }`;
    expect(compose([{ name: 'clash', sdl: clash }]).errors?.length).toBeGreaterThan(0);
  });
});
