import type { VerifiedIdentity } from './token-verifier.js';
import type { AssuranceLevel } from './assurance.js';

/** The signed-in person as far as the hub knows them; null parts mean "not known / not bound". */
export interface ViewerUser {
  id: string;
  employerId: string;
  /** Materialized path of the employer organisation. */
  employerPath: string;
  /** Paths of the organisations the user is currently placed at. */
  placementPaths: string[];
}

/**
 * Who is asking. Built once per request from the verified token; every scope decision starts here.
 * An identity without a user is someone who signed in but is not registered yet (self-registration).
 */
export class Viewer {
  constructor(
    readonly identity: VerifiedIdentity | null,
    readonly user: ViewerUser | null,
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
