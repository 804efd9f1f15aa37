/**
 * `npm run import:organisations -- <file> --as <email> [--dry-run] [--close-absent]`: imports a register
 * file (CSV or JSON: registrationNumber, name, kind, parentRegistrationNumber) as the administrator
 * with that e-mail, with the same scope, rules and audit trail as `organisationImport`.
 */
import { randomUUID } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { Actor } from '../auth/actor.js';
import { Policy } from '../auth/policy.js';
import { AssuranceLevel } from '../auth/assurance.js';
import { loadConfig } from '../config.js';
import { migrateUp } from '../db/orm.js';
import { execute, sql } from '../db/sql.js';
import { ProblemsFound } from '../domain/errors.js';
import { viewerFor } from '../identities/identity.service.js';
import { Progress } from '../imports/progress.js';
import { OrganisationImportService } from '../organisations/organisation-import.service.js';
import { openDatabase } from './database.js';

/** The CLI reads files up to this size (the GraphQL upload is capped by UPLOAD_MAX_FILE_SIZE). */
const CLI_MAX_BYTES = 64 * 1024 * 1024;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { as: { type: 'string' }, 'dry-run': { type: 'boolean', default: false }, 'close-absent': { type: 'boolean', default: false } },
});
const [file] = positionals;
if (!file || !values.as) {
  console.error('usage: npm run import:organisations -- <file.csv|file.json> --as <administrator e-mail> [--dry-run] [--close-absent]');
  process.exit(2);
}

const config = loadConfig();
const orm = await openDatabase({ databaseUrl: config.databaseUrl, pgliteDataDir: config.dataDir });
try {
  await migrateUp(orm);
  const em = orm.em.fork();
  // The administrator acts as through their own sign-in: the roles and scopes of their first bound identity.
  const [identity] = await execute<{ issuer: string; subject: string; registration_number: string | null }>(
    em,
    sql`select fi.issuer, fi.subject, fi.registration_number from federated_identities fi join users u on u.id = fi.user_id
      where lower(u.email) = lower(${values.as}) order by fi.created_at limit 1`,
  );
  if (!identity) throw new Error(`no registered person with the e-mail ${values.as} and a bound sign-in`);
  const viewer = await viewerFor(em, {
    issuer: identity.issuer,
    subject: identity.subject,
    registrationNumber: identity.registration_number,
    clientId: null,
    assuranceLevel: AssuranceLevel.HIGH,
    email: values.as,
    name: null,
    expiresAt: new Date(Date.now() + 3_600_000),
  });
  if (viewer.refusal) throw new Error(`${values.as} may not sign in (${viewer.refusal})`);
  const actor: Actor = { viewer, policy: new Policy(viewer), em, requestId: `cli-${randomUUID()}`, now: () => new Date() };

  const size = (await stat(file)).size;
  if (size > CLI_MAX_BYTES) throw new Error(`${file} is larger than ${CLI_MAX_BYTES} bytes`);
  const bytes = await readFile(file);
  const started = Date.now();
  let bar: Progress | null = null;
  const result = await new OrganisationImportService(actor).importFile(bytes, {
    dryRun: values['dry-run'],
    closeAbsent: values['close-absent'],
    field: ['file'],
    maxBytes: CLI_MAX_BYTES,
    onProgress: (phase, done, total) => {
      bar ??= new Progress(phase, total);
      bar.update(done);
      if (done >= total) {
        bar.done();
        bar = null;
      }
    },
  });
  const counts = (['create', 'rename', 'move', 'close'] as const).map((a) => `${result.changes.filter((c) => c.action === a).length} ${a}`);
  for (const c of result.changes.slice(0, 50)) console.log(`${c.action.padEnd(7)} ${c.registrationNumber.padEnd(16)} ${c.name}${c.line ? `  (line ${c.line})` : ''}`);
  if (result.changes.length > 50) console.log(`… and ${result.changes.length - 50} more`);
  console.log(`${result.dryRun ? 'dry run, nothing written: would ' : ''}${counts.join(', ')}; ${result.unchanged} of ${result.rows} rows unchanged; ${((Date.now() - started) / 1000).toFixed(1)} s`);
} catch (error) {
  if (!(error instanceof ProblemsFound)) throw error;
  for (const p of error.problems) console.error(`${p.code}: ${p.message}`);
  console.error('nothing was written');
  process.exitCode = 1;
} finally {
  await orm.close(true);
}
