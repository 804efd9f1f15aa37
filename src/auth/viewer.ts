import type { VerifiedIdentity } from './token-verifier.js';
import type { AssuranceLevel } from './assurance.js';

/** The signed-in person as far as the hub knows them. */
export interface ViewerUser {
  id: string;
  employerId: string;
  /** Materialized path of the employer organisation. */
  employerPath: string;
  /** Path of the employer's legal entity (the employer itself unless it is a unit). */
  legalEntityPath: string;
  /** Paths of the organisations the user is currently placed at. */
  placementPaths: string[];
}

/**
 * The viewer administers a service for an issuer organisation (the authority, or a mandate holder).
 * Their people are those whose employer lies in the issuer's domain and below no nearer mandate.
 */
export interface AdministratorRole {
  serviceId: string;
  issuerId: string;
  issuerPath: string;
  /** The issuer is the service's own authority: its domain is every eligible organisation. */
  authority: boolean;
  /** The authority's own subtree, whose staff are always eligible. */
  ownerPath: string;
  /** Kinds of legal entity eligible under the routine in force now (authority domains only). */
  eligibleKinds: string[];
  /** Active mandates of the service inside the domain: their people belong to those issuers. */
  carvedOutPaths: string[];
}

/** The viewer is an appointed orderer for an organisation subtree in a service. */
export interface OrdererRole {
  serviceId: string;
  appointmentId: string;
  scopePath: string;
}

/** Why a verified sign-in is refused: the person's employment has ended, or the machine client is suspended. */
export type SignInRefusal = 'EMPLOYMENT_ENDED' | 'CLIENT_SUSPENDED';

/**
 * A machine client signed in with a client-credentials token: it acts for one service (reads its
 * grants and their holders) or for one organisation (its subtree's people), never as a person.
 */
export interface ViewerClient {
  id: string;
  name: string;
  /** The service it acts for; null when it acts for an organisation. */
  serviceId: string | null;
  /** The organisation it acts for and that organisation's path; null when it acts for a service. */
  organisationId: string | null;
  organisationPath: string | null;
}

/**
 * Who is asking. Built once per request from the verified token; every scope decision starts here.
 * An identity without a user is someone who signed in but is not registered yet (self-registration).
 */
export class Viewer {
  constructor(
    readonly identity: VerifiedIdentity | null,
    readonly user: ViewerUser | null,
    readonly administers: AdministratorRole[] = [],
    readonly orders: OrdererRole[] = [],
    /** Set when the hub refuses this sign-in although the token is valid; the edge answers FORBIDDEN. */
    readonly refusal: SignInRefusal | null = null,
    /** Set for a machine client's token; `user` is then null. */
    readonly client: ViewerClient | null = null,
  ) {}

  static anonymous(): Viewer {
    return new Viewer(null, null);
  }

  get authenticated(): boolean {
    return this.identity !== null;
  }

  get assuranceLevel(): AssuranceLevel | null {
    return this.identity?.assuranceLevel ?? null;
  }
}
