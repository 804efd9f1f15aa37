import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';

/**
 * A sample agency subgraph, as an agency portal would run one: its case management knows its case
 * workers by employee number and the hub's people by e-mail, and its own organisation by
 * registration number. It extends the hub's `User` with fields of its own (caseload, team) and
 * references the hub's `Organisation` without knowing any hub id. The README's example uses it.
 */
export const agencySdl = `
extend schema @link(url: "https://specs.apollo.dev/federation/v2.14", import: ["@key"])

scalar EmailAddress

type Query {
  "The agency's case workers, by employee number."
  caseWorkers(first: Int = 10): [CaseWorker!]!
}

"A case worker of the agency's case management."
type CaseWorker @key(fields: "employeeNumber") {
  employeeNumber: ID!
  title: String!
  "The hub's person (their grants, employer, responsible issuer)."
  person: User
  "The organisation employing them, as the hub knows it."
  agency: Organisation
}

# The hub's person (its description is the hub's), extended with what case management knows.
type User @key(fields: "email") {
  email: EmailAddress
  "Open cases assigned."
  caseload: Int
  team: String
}

# The hub's organisation, referenced by registration number.
type Organisation @key(fields: "registrationNumber", resolvable: false) {
  registrationNumber: String
}
`;

export interface CaseWorker {
  employeeNumber: string;
  title: string;
  email: string;
  registrationNumber: string;
  caseload: number;
  team: string;
}

export function agencySchema(caseWorkers: CaseWorker[]) {
  const byEmail = new Map(caseWorkers.map((w) => [w.email, w]));
  return buildSubgraphSchema({
    typeDefs: parse(agencySdl),
    resolvers: {
      Query: { caseWorkers: (_: unknown, { first }: { first: number }) => caseWorkers.slice(0, first) },
      CaseWorker: {
        person: (w: CaseWorker) => ({ email: w.email, caseload: w.caseload, team: w.team }),
        agency: (w: CaseWorker) => ({ registrationNumber: w.registrationNumber }),
      },
      User: {
        __resolveReference: (ref: { email: string | null }) => {
          const worker = ref.email ? byEmail.get(ref.email) : undefined;
          return { email: ref.email, caseload: worker?.caseload ?? null, team: worker?.team ?? null };
        },
      },
    },
  });
}

/** Serves the sample subgraph on a local port (0: a free one). */
export async function startAgencySubgraph(caseWorkers: CaseWorker[], port = 0): Promise<{ url: string; stop: () => Promise<void> }> {
  const server = new ApolloServer({ schema: agencySchema(caseWorkers), plugins: [ApolloServerPluginInlineTraceDisabled()] });
  const { url } = await startStandaloneServer(server, { listen: { port, host: '127.0.0.1' } });
  return { url, stop: () => server.stop() };
}
