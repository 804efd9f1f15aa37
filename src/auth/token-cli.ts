/**
 * `npm run token -- <email> [--acr low|substantial|high] [--ttl seconds]` prints a bearer token of
 * the local development issuer for a demo user. Reads the demo dataset, never the database, so it
 * works while the hub runs on the embedded database.
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { demoRegistrationNumber, demoUsers } from '../demo/demo-data.js';
import { DevIssuer } from './dev-issuer.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { acr: { type: 'string' }, ttl: { type: 'string', default: String(8 * 3600) } },
});
const email = positionals[0];
const user = demoUsers.find((u) => u.email === email);
if (!user) {
  console.error(`usage: npm run token -- <email> [--acr low|substantial|high] [--ttl seconds]\n\ndemo users:`);
  for (const u of demoUsers) console.error(`  ${u.email.padEnd(42)} ${u.note}`);
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
const token = await issuer.sign(
  {
    sub: user.email,
    email: user.email,
    name: `${user.givenName} ${user.familyName}`,
    acr: values.acr ?? user.assuranceLevel,
    registration_number: demoRegistrationNumber(user.employer),
  },
  ttl,
);
console.log(token);
