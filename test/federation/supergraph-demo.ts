/**
 * The README's worked example: the sample agency subgraph on :4001 and a gateway on :4002 in front of
 * it and a hub already running on :4000 (`npm start`; HUB_URL, AGENCY_PORT and GATEWAY_PORT move them).
 * Stops on Ctrl-C.
 *
 *   npx tsx test/federation/supergraph-demo.ts
 */
import { startAgencySubgraph } from './agency-subgraph.js';
import { startGateway } from './gateway.js';

const hubUrl = process.env.HUB_URL ?? 'http://localhost:4000/graphql';
// Arbetsförmedlingen's case workers as the demo knows them; the last one is someone the hub does not know.
const agency = await startAgencySubgraph(
  [
    { email: 'erik.analyst@arbetsformedlingen.se', caseload: 23 },
    { email: 'jonas.issuer@arbetsformedlingen.se', caseload: 4 },
    { email: 'nobody@arbetsformedlingen.se', caseload: 7 },
  ].map((w, i) => ({ ...w, employeeNumber: `E${1001 + i}`, title: 'Handläggare', registrationNumber: '202100-2114', team: 'Etablering' })),
  Number(process.env.AGENCY_PORT ?? 4001),
);
const gateway = await startGateway(
  [
    { name: 'hub', url: hubUrl },
    { name: 'agency', url: agency.url },
  ],
  Number(process.env.GATEWAY_PORT ?? 4002),
);
console.log(`agency subgraph at ${agency.url}, gateway at ${gateway.url}`);
process.on('SIGINT', () => {
  void Promise.all([gateway.stop(), agency.stop()]).then(() => process.exit(0));
});
