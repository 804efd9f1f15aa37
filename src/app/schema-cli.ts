/** `npm run schema:print` writes schema/schema.graphql; `npm run schema:check` fails when it drifts. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../db/orm.js';
import { schemaSdl } from './schema.js';

const file = join(projectRoot, 'schema', 'schema.graphql');
const sdl = await schemaSdl();
if (process.argv[2] === 'write') {
  writeFileSync(file, sdl);
  console.log(`wrote ${file}`);
} else {
  let committed = '';
  try {
    committed = readFileSync(file, 'utf8');
  } catch {
    // missing counts as drift
  }
  if (committed !== sdl) {
    console.error('schema/schema.graphql differs from the schema the code builds: run `npm run schema:print` and commit it');
    process.exit(1);
  }
  console.log('schema/schema.graphql is up to date');
}
