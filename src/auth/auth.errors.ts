
/** Why a token was refused; logged, never shown to the client (which only sees UNAUTHENTICATED). */
export class TokenRejected extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/**
 * A token that cannot be checked now: its issuer's keys could not be fetched (never, or not the key it
 * names). Neither good nor bad, so not a 401: the client may try again after `retryAfterSeconds`.
 */
export class IdentityProviderUnavailable extends Error {
  constructor(
    readonly issuer: string,
    readonly retryAfterSeconds: number,
  ) {
    super(`the signing keys of ${issuer} are unavailable`);
  }
}
