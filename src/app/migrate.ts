/**
 * `npm run migrate` applies pending migrations; `npm run migrate -- create <name>` writes the
 * migration for a model change (and refuses to write an empty one); `-- check` fails when the
 * entities differ from what the migrations build.
 */
import { loadConfig } from '../config.js';
import { migrateUp } from '../db/orm.js';
import { openDatabase } from './database.js';

const [command = 'up', name] = process.argv.slice(2);
const config = loadConfig();
const orm = await openDatabase({ databaseUrl: config.databaseUrl, pgliteDataDir: config.dataDir });
try {
  if (command === 'up') {
    const applied = await migrateUp(orm);
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'no pending migrations');
  } else if (command === 'create') {
    await migrateUp(orm);
    const result = await orm.migrator.create(undefined, false, false, name);
    console.log(result.fileName ? `created ${result.fileName}` : 'no model changes: nothing to create');
  } else if (command === 'check') {
    await migrateUp(orm);
    if (await orm.migrator.checkSchema()) {
      console.error('the entities differ from the migrations: run `npm run migrate -- create <name>`');
      process.exitCode = 1;
    } else console.log('migrations match the entities');
  } else {
    console.error(`unknown command "${command}": use up, create <name> or check`);
    process.exitCode = 2;
  }
} finally {
  await orm.close(true);
}
