/**
 * The layers, stated as rules (`npm run deps:check`, run by CI). Building blocks at the bottom know
 * no concept and no edge: db/ and domain/ import nothing of graphql/ or http/; the application core
 * (services, repositories, entities) imports no edge; src/app/ assembles everything and nothing imports it.
 */
const CONCEPTS = '^src/(audit|documents|grants|identities|issuers|notifications|orderers|orders|organisations|reports|routines|services|users)/';

module.exports = {
  forbidden: [
    {
      name: 'no-circular-runtime',
      severity: 'error',
      comment: 'An import cycle of runtime imports (type-only imports are erased and cannot cycle at run time).',
      from: { path: '^src/' },
      to: { circular: true, dependencyTypesNot: ['type-only'], viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'db-is-a-building-block',
      severity: 'error',
      comment: 'db/ holds the ORM, SQL helpers and paging: it imports no edge.',
      from: { path: '^src/db/' },
      to: { path: '^src/(graphql|http)/' },
    },
    {
      name: 'domain-is-the-bottom',
      severity: 'error',
      comment: 'domain/ (errors, problems, ids, targets) imports nothing of ours but itself.',
      from: { path: '^src/domain/' },
      to: { path: '^src/', pathNot: '^src/domain/' },
    },
    {
      name: 'core-knows-no-edge',
      severity: 'error',
      comment: 'Services, repositories, entities and rules are called by every edge: they import none.',
      from: { path: `${CONCEPTS}.*\\.(service|repository|entity|rules|sql)\\.ts$` },
      to: { path: '^src/(graphql|http)/|\\.(resolver|type|mutations)\\.ts$' },
    },
    {
      name: 'concepts-meet-through-services',
      severity: 'error',
      comment: "A concept reaches another through its service (or its entity, GraphQL type, pure rules or named SQL vocabulary), never its repository or resolver.",
      from: { path: `${CONCEPTS}` },
      to: { path: '^src/[^/]+/[^/]+\\.(repository|resolver)\\.ts$', pathNot: '^src/$1/' },
    },
    {
      name: 'entities-are-data',
      severity: 'error',
      comment: 'An entity maps a table: it imports other entities, its own rules types and db/ ids, nothing else (triggers live in migrations/).',
      from: { path: `${CONCEPTS}.*\\.entity\\.ts$` },
      to: { path: '^src/', pathNot: ['\\.entity\\.ts$', '\\.rules\\.ts$', '^src/db/ids\\.ts$'] },
    },
    {
      name: 'auth-knows-no-edge',
      severity: 'error',
      comment: 'Tokens, the viewer and the Policy are the same for every edge.',
      from: { path: '^src/auth/' },
      to: { path: '^src/(graphql|http)/' },
    },
    {
      name: 'only-start-up-imports-http',
      severity: 'error',
      comment: 'The HTTP server is assembled at the top: concepts, graphql/ and db/ never reach into it.',
      from: { path: '^src/', pathNot: '^src/(http|app|scale)/' },
      to: { path: '^src/http/' },
    },
    {
      name: 'composition-at-the-top',
      severity: 'error',
      comment: 'src/app/ assembles every concept (entities, schema, loaders, server, start-up); nothing below imports it.',
      from: { path: '^src/', pathNot: '^src/(app|scale)/' },
      to: { path: '^src/app/' },
    },
    {
      name: 'building-blocks-know-no-concept',
      severity: 'error',
      comment: 'db/, domain/, graphql/, http/ and imports/ are building blocks: the concepts use them, never the other way round.',
      from: { path: '^src/(db|domain|graphql|http|imports)/' },
      to: { path: CONCEPTS },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
