/**
 * `npm run token -- <email> [--acr low|substantial|high] [--ttl seconds]` prints a bearer token of
 * the local development issuer for a demo user; `npm run token -- --client <name>` a client-credentials
 * token (`client_id` = the name, no person) for a client registered with the development issuer.
 * Reads the demo dataset, never the database, so it works while the hub runs on the embedded database.
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { demoClients, demoRegistrationNumber, demoUsers } from '../demo/demo-data.js';
import { DevIssuer } from './dev-issuer.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { acr: { type: 'string' }, ttl: { type: 'string', default: String(8 * 3600) }, client: { type: 'string' } },
});
const email = positionals[0];
const user = demoUsers.find((u) => u.email === email);
const clientName = values.client;
if (!user && !clientName) {
  console.error(`usage: npm run token -- <email> [--acr low|substantial|high] [--ttl seconds]\n       npm run token -- --client <name> [--ttl seconds]\n\ndemo users:`);
  for (const u of demoUsers) console.error(`  ${u.email.padEnd(42)} ${u.note}`);
  console.error('\ndemo clients (any client registered with this issuer and client id works):');
  for (const c of demoClients) console.error(`  ${c.name.padEnd(42)} ${c.note}`);
  process.exit(2);
}
if (clientName !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(clientName)) {
  console.error(`--client must be a client name (letters, digits, dots, dashes, underscores), got "${clientName}"`);
  process.exit(2);
}
const ttl = Number(values.ttl);
if (!/^\d+$/.test(values.ttl ?? '') || ttl < 1) {
  console.error(`--ttl must be a whole number of seconds, got "${values.ttl}"`);
  process.exit(2);
}
let config: Config;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`configuration error: ${error.message}`);
  process.exit(2);
}
if (!config.devIssuer) {
  console.error('the development issuer is off (DEV_ISSUER=false, or NODE_ENV=production without DEV_ISSUER=true)');
  process.exit(2);
}
const issuer = await DevIssuer.loadOrCreate(config.dataDir, config.devIssuerUrl, config.tokenAudience);
const token = clientName
  ? await issuer.sign({ sub: `client:${clientName}`, client_id: clientName }, ttl)
  : await issuer.sign(
      {
        sub: user!.email,
        email: user!.email,
        name: `${user!.givenName} ${user!.familyName}`,
        acr: values.acr ?? user!.assuranceLevel,
        registration_number: demoRegistrationNumber(user!.employer),
      },
      ttl,
    );
console.log(token);
