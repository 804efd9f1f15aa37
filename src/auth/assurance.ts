/** Assurance levels in eIDAS order; the hub reasons only about these three. */
export enum AssuranceLevel {
  LOW = 'low',
  SUBSTANTIAL = 'substantial',
  HIGH = 'high',
}

const rank: Record<AssuranceLevel, number> = { low: 1, substantial: 2, high: 3 };

/**
 * `acr` values used by the Swedish (DIGG/Elegnämnden, Sweden Connect) and Danish (NSIS/MitID)
 * federations, eIDAS, and plain names; keys are lower case. A Map, so that claim values such as
 * "constructor" or "__proto__" cannot reach Object.prototype.
 */
const known = new Map<string, AssuranceLevel>([
  ['low', AssuranceLevel.LOW],
  ['substantial', AssuranceLevel.SUBSTANTIAL],
  ['high', AssuranceLevel.HIGH],
  ['http://id.elegnamnden.se/loa/1.0/loa1', AssuranceLevel.LOW],
  ['http://id.elegnamnden.se/loa/1.0/loa2', AssuranceLevel.LOW],
  ['http://id.elegnamnden.se/loa/1.0/loa3', AssuranceLevel.SUBSTANTIAL],
  ['http://id.elegnamnden.se/loa/1.0/loa4', AssuranceLevel.HIGH],
  ['http://id.elegnamnden.se/loa/1.0/eidas-low', AssuranceLevel.LOW],
  ['http://id.elegnamnden.se/loa/1.0/eidas-nf-low', AssuranceLevel.LOW],
  ['http://id.elegnamnden.se/loa/1.0/eidas-sub', AssuranceLevel.SUBSTANTIAL],
  ['http://id.elegnamnden.se/loa/1.0/eidas-nf-sub', AssuranceLevel.SUBSTANTIAL],
  ['http://id.elegnamnden.se/loa/1.0/eidas-high', AssuranceLevel.HIGH],
  ['http://id.elegnamnden.se/loa/1.0/eidas-nf-high', AssuranceLevel.HIGH],
  ['http://id.swedenconnect.se/loa/1.0/uncertified-loa3', AssuranceLevel.SUBSTANTIAL],
  ['https://data.gov.dk/concept/core/nsis/loa/low', AssuranceLevel.LOW],
  ['https://data.gov.dk/concept/core/nsis/loa/substantial', AssuranceLevel.SUBSTANTIAL],
  ['https://data.gov.dk/concept/core/nsis/loa/high', AssuranceLevel.HIGH],
  ['http://eidas.europa.eu/loa/low', AssuranceLevel.LOW],
  ['http://eidas.europa.eu/loa/substantial', AssuranceLevel.SUBSTANTIAL],
  ['http://eidas.europa.eu/loa/high', AssuranceLevel.HIGH],
]);

/** Maps an `acr` claim to a level; unknown or missing values count as the lowest level. */
export function assuranceLevelOf(acr: unknown): AssuranceLevel {
  if (typeof acr !== 'string') return AssuranceLevel.LOW;
  return known.get(acr.trim().toLowerCase()) ?? AssuranceLevel.LOW;
}

export function meetsAssurance(actual: AssuranceLevel, required: AssuranceLevel): boolean {
  return rank[actual] >= rank[required];
}
