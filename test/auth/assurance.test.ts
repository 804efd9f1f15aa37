import { describe, expect, it } from 'vitest';
import { AssuranceLevel, assuranceLevelOf, meetsAssurance } from '../../src/auth/assurance.js';

describe('assuranceLevelOf', () => {
  it.each([
    ['http://id.elegnamnden.se/loa/1.0/loa2', AssuranceLevel.LOW],
    ['http://id.elegnamnden.se/loa/1.0/loa3', AssuranceLevel.SUBSTANTIAL],
    ['http://id.elegnamnden.se/loa/1.0/loa4', AssuranceLevel.HIGH],
    ['http://id.elegnamnden.se/loa/1.0/eidas-sub', AssuranceLevel.SUBSTANTIAL],
    ['http://id.elegnamnden.se/loa/1.0/eidas-nf-high', AssuranceLevel.HIGH],
    ['https://data.gov.dk/concept/core/nsis/loa/Low', AssuranceLevel.LOW],
    ['https://data.gov.dk/concept/core/nsis/loa/Substantial', AssuranceLevel.SUBSTANTIAL],
    ['https://data.gov.dk/concept/core/nsis/loa/High', AssuranceLevel.HIGH],
    ['http://eidas.europa.eu/LoA/substantial', AssuranceLevel.SUBSTANTIAL],
    ['http://eidas.europa.eu/LoA/high', AssuranceLevel.HIGH],
    ['high', AssuranceLevel.HIGH],
    [' Substantial ', AssuranceLevel.SUBSTANTIAL],
  ])('should map %s to its level', (acr, level) => {
    expect(assuranceLevelOf(acr)).toBe(level);
  });

  it.each([
    ['an unknown URI', 'urn:example:loa:very-high'],
    ['a near miss', 'http://id.elegnamnden.se/loa/1.0/loa5'],
    ['an empty string', ''],
    ['a number', 4],
    ['an array', ['http://id.elegnamnden.se/loa/1.0/loa4']],
    ['null', null],
    ['a missing claim', undefined],
  ])('should count %s as LOW', (_what, acr) => {
    expect(assuranceLevelOf(acr)).toBe(AssuranceLevel.LOW);
  });

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'])(
    'should count the Object.prototype name "%s" as LOW, not as a property of the lookup table',
    (acr) => {
      expect(assuranceLevelOf(acr)).toBe(AssuranceLevel.LOW);
    },
  );
});

describe('meetsAssurance', () => {
  const levels = [AssuranceLevel.LOW, AssuranceLevel.SUBSTANTIAL, AssuranceLevel.HIGH];

  it('should hold exactly when the actual level is at least the required one', () => {
    for (const [i, actual] of levels.entries()) {
      for (const [j, required] of levels.entries()) expect(meetsAssurance(actual, required), `${actual} vs ${required}`).toBe(i >= j);
    }
  });
});
