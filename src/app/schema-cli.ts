/**
 * `npm run schema:print` writes schema/schema.graphql and schema/subgraph.graphql (the same schema
 * with its federation directives); `npm run schema:check` fails when either drifts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../db/orm.js';
import { subgraphSdl } from './federation.js';
import { hubSchema, schemaSdl } from './schema.js';

const files = [
  { file: join(projectRoot, 'schema', 'schema.graphql'), sdl: await schemaSdl() },
  { file: join(projectRoot, 'schema', 'subgraph.graphql'), sdl: subgraphSdl(await hubSchema()) },
];
let drifted = false;
for (const { file, sdl } of files) {
  if (process.argv[2] === 'write') {
    writeFileSync(file, sdl);
    console.log(`wrote ${file}`);
    continue;
  }
  let committed = '';
  try {
    committed = readFileSync(file, 'utf8');
  } catch {
    // missing counts as drift
  }
  if (committed !== sdl) {
    console.error(`${file} differs from the schema the code builds: run \`npm run schema:print\` and commit it`);
    drifted = true;
  } else {
    console.log(`${file} is up to date`);
  }
}
if (drifted) process.exit(1);
