import fc from 'fast-check';
import { docx, elf, exe, jpeg, legacyDoc, pdf, png, xlsx, zip } from '../support/files.js';

/**
 * Random choices drawn inside a run with fast-check's `gen`, and the catalogues of values they pick
 * from. Every draw is an index or a number that shrinks towards 0, so the first entry of a list is
 * the plain case: a shrunk failure reads as plainly as it can.
 */
export type Gen = fc.GeneratorValue;

/**
 * How far an operation strays: `wild` breaks types and syntax too, `strict` is well-formed with
 * hostile values, `calm` is well-formed with mostly plausible values (so that writes go through).
 */
export type Level = 'wild' | 'strict' | 'calm';

/** Uniform: fast-check's own integers lean towards the bounds, which would skew every probability here. */
const uniform = (max: number) => fc.noBias(fc.nat({ max }));
export const nat = (g: Gen, max: number): number => (max <= 0 ? 0 : g(uniform, max));
export const pick = <T>(g: Gen, items: readonly T[]): T => items[nat(g, items.length - 1)];
/**
 * An index into a list whose length depends on the server's state (ids learned so far): always one
 * draw with the same bounds, taken modulo, so a replay draws the same sequence whatever it holds.
 */
export const index = (g: Gen, length: number): number => g(uniform, 9999) % Math.max(length, 1);
/** True with probability p; shrinks to false. */
export const chance = (g: Gen, p: number): boolean => nat(g, 999) >= 1000 - Math.round(p * 1000);
/** Some of the items, at least `min` and at most `max`, in a random order; shrinks towards fewer. */
export function some<T>(g: Gen, items: readonly T[], min: number, max: number): T[] {
  const left = [...items];
  const count = Math.min(left.length, min + nat(g, Math.max(0, Math.min(max, left.length) - min)));
  return Array.from({ length: count }, () => left.splice(nat(g, left.length - 1), 1)[0]);
}

/** A weighted choice; shrinks towards the first entry. */
export function weighted<T>(g: Gen, entries: readonly (readonly [number, T])[]): T {
  const total = entries.reduce((sum, [w]) => sum + w, 0);
  let draw = nat(g, total - 1);
  for (const [w, value] of entries) {
    if (draw < w) return value;
    draw -= w;
  }
  return entries[entries.length - 1][1];
}

/**
 * U+FFFD never comes out of the generators: a lone surrogate sent by a client and stored arrives in
 * the database as U+FFFD, and the integrity check looks for exactly that.
 */
const noReplacementChar = (s: string) => s.replace(/\uFFFD/g, '?');

const ONE_MB = 1_000_000;
const ONE_MIB = 1024 * 1024;

const utf16 = () => fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 20 });

/** Strings that have broken servers: NUL, controls, bidi overrides, lone surrogates, sizes around every limit. */
export function hostileString(g: Gen): string {
  const kind = weighted(g, [
    [6, 'plain'],
    [3, 'nul'],
    [3, 'control'],
    [3, 'bidi'],
    [2, 'invisible'],
    [4, 'surrogate'],
    [2, 'combining'],
    [4, 'long'],
    [2, 'huge'],
    [3, 'injection'],
    [1, 'emoji'],
    [4, 'random'],
    [3, 'utf16'],
    [2, 'blank'],
  ] as const);
  switch (kind) {
    case 'plain':
      return pick(g, ['x', 'Uppföljning', 'Åsa Öberg', 'Børne- og Ungeklinikken', 'O\'Brien', 'a b  c']);
    case 'nul':
      return pick(g, ['a\u0000b', '\u0000', 'reason\u0000', '\u0000'.repeat(50)]);
    case 'control':
      return pick(g, ['\u0001\u0002\u0007', 'line\r\nbreak', '\u001b[2J\u001b[31mred', '\u007f\u0085', 'tab\there', '\b\f\v']);
    case 'bidi':
      return pick(g, ['\u202Egnp.exe', 'abc\u202Edef\u202C', '\u200F\u202B\u2067x\u2069', '\u2066admin\u2069', '\u202D\u202E'.repeat(20)]);
    case 'invisible':
      return pick(g, ['\u200B', '\uFEFFbom', '\u200C\u200D\u2060', 'a\u2028b\u2029c', '\u00A0\u3000']);
    case 'surrogate':
      return pick(g, ['\uD800', 'a\uDFFFb', '\uDC00\uD800', 'x\uDBFF', '\uD83D', 'ok\uDE00ok']);
    case 'combining':
      return `e${'\u0301'.repeat(pick(g, [10, 500, 5000]))}`;
    case 'long':
      return 'x'.repeat(pick(g, [101, 201, 255, 256, 2001, 10_001, 65_537]));
    case 'huge':
      // About 1 MB of text fits the 1 MiB body limit; the others are over it, in ASCII and in 3-byte characters.
      return pick(g, ['x'.repeat(ONE_MB), 'y'.repeat(ONE_MIB + 1), '€'.repeat(400_000)]);
    case 'injection':
      return pick(g, ["'; drop table users; --", '%_\\', '${jndi:ldap://x/a}', '<script>alert(1)</script>', '../../../etc/passwd', '{{7*7}}', '__proto__', 'constructor', 'null', "' or '1'='1"]);
    case 'emoji':
      return pick(g, ['👩🏽‍⚕️', '🇸🇪🇩🇰', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢']);
    case 'random':
      return noReplacementChar(g(fc.string, { unit: 'binary', maxLength: 40 }));
    case 'utf16':
      // Any UTF-16 code unit, lone surrogates included: what JSON.stringify sends as \udXXX.
      return noReplacementChar(g(utf16));
    case 'blank':
      return pick(g, ['', ' ', '   \t\n', '\u3000']);
  }
}

/** A string for a text field: hostile more often than not when wild, seldom when calm. */
export function textValue(g: Gen, plausible: readonly string[], level: Level = 'wild'): string {
  return chance(g, { wild: 0.6, strict: 0.3, calm: 0.08 }[level]) ? hostileString(g) : pick(g, plausible);
}

export const dateTimes = (now = Date.now()) => {
  const day = 86_400_000;
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    valid: [iso(now + 30 * day), iso(now - 30 * day), iso(now), iso(now + 400 * day), iso(now - 400 * day), '2026-01-01T00:00:00Z', '2024-02-29T12:00:00+14:00'],
    edge: ['0001-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z', '1970-01-01T00:00:00Z', '1900-01-01T00:00:00Z', '2100-01-01T00:00:00.123456789Z', '2038-01-19T03:14:08Z'],
    invalid: ['2023-02-29T00:00:00Z', '2026-13-01T00:00:00Z', '2026-01-01', '2026-01-01T25:00:00Z', 'now', '', '+275760-09-13T00:00:00Z', '-000001-01-01T00:00:00Z', ' 2026-01-01T00:00:00Z', '2026-01-01T00:00:00'],
  };
};

/** A DateTime: valid, (unless calm) at the edges of what a date can be, or (when wild) not a date at all. */
export function dateTimeValue(g: Gen, level: Level = 'wild'): string {
  const d = dateTimes();
  return weighted(g, [
    [6, () => pick(g, d.valid)],
    [level === 'calm' ? 0 : 3, () => pick(g, d.edge)],
    [level === 'wild' ? 3 : 0, () => pick(g, d.invalid)],
    [level === 'wild' ? 1 : 0, () => hostileString(g)],
  ] as const)();
}

/** An EmailAddress: a plausible one, or (when wild) anything near one. */
export function emailValue(g: Gen, level: Level = 'wild'): string {
  const strict = level !== 'wild';
  return weighted(g, [
    [5, () => pick(g, ['fuzz@example.org', 'anna.registrar@stockholm.se', 'Fuzz.Person+tag@Example.SE', 'x@y.dk'])],
    // Well-formed (a 64-character local part, 63-character labels) and longer than the 254 an address may have.
    [1, () => `${'l'.repeat(64)}@${'d'.repeat(63)}.${'e'.repeat(63)}.${'f'.repeat(pick(g, [56, 60]))}.se`],
    [strict ? 0 : 3, () => pick(g, ['a@b', 'no-at-sign', '@example.org', 'a@', `${'l'.repeat(250)}@example.org`, 'ä@ö.se', 'a b@c.de', 'a\u0000@b.se', '"quoted"@example.org'])],
    [strict ? 0 : 2, () => `${hostileString(g).slice(0, 64)}@example.org`],
  ] as const)();
}

/** A PhoneNumber: a plausible one, or (when wild) anything near one. */
export function phoneValue(g: Gen, level: Level = 'wild'): string {
  const strict = level !== 'wild';
  return weighted(g, [
    [5, () => pick(g, ['+46 70 123 45 67', '+45 20 11 22 33', '(08) 508-000 01', '0701234567'])],
    [strict ? 0 : 3, () => pick(g, ['+', '12345', `+${'1'.repeat(31)}`, '+46 70 123 45 67\u0000', '+46\u202E70', '٠١٢٣٤٥٦٧'])],
    [strict ? 0 : 1, () => hostileString(g)],
  ] as const)();
}

/** An Int argument, by what the argument means. */
export function intValue(g: Gen, name: string, level: Level = 'wild'): number {
  if (name === 'first' || name === 'last') {
    return weighted(g, [
      [6, () => pick(g, [1, 2, 5, 10, 50, 100])],
      [level === 'calm' ? 0 : 3, () => pick(g, [0, 101, -1, 1000, 2_147_483_647, -2_147_483_648])],
    ] as const)();
  }
  if (level === 'calm') return pick(g, [30, 1, 7, 365]);
  if (name === 'days' || name === 'withinDays') return pick(g, [30, 0, 1, 7, 365, -1, 36_500, 1_000_000, 2_147_483_647, -2_147_483_648]);
  if (name === 'issuerThreshold' || name === 'quotaPerOrganisation') return pick(g, [10, 0, 1, 50, -1, 2_147_483_647]);
  return pick(g, [1, 0, -1, 100, 2_147_483_647, -2_147_483_648]);
}

/** Numbers that are not Ints: what a client sends by mistake or on purpose. */
export const notInts = [2_147_483_648, 1.5, -0.000001, 1e20, Number.MAX_SAFE_INTEGER + 2] as const;

export interface UploadFile {
  bytes: Buffer;
  filename: string;
  type: string;
}

/** A file to upload: the accepted kinds, refused kinds, empty, mislabelled, with hostile names. */
export function uploadFile(g: Gen, level: Level = 'wild'): UploadFile {
  const odd = level === 'calm' ? 0 : 1;
  const [bytes, type] = weighted<() => readonly [Buffer, string]>(g, [
    [6, () => [pdf(), 'application/pdf'] as const],
    [2, () => [png(), 'image/png'] as const],
    [1, () => [jpeg(), 'image/jpeg'] as const],
    [2, () => [docx(), 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'] as const],
    [odd, () => [xlsx(), 'application/pdf'] as const],
    [odd, () => [Buffer.alloc(0), 'application/pdf'] as const],
    [odd, () => [exe(), 'application/pdf'] as const],
    [odd, () => [elf(), 'application/octet-stream'] as const],
    [odd, () => [legacyDoc(), 'application/msword'] as const],
    [odd, () => [zip({ 'a.txt': 'a'.repeat(200_000) }), 'application/zip'] as const],
    [odd, () => [Buffer.from('%PDF-1.4 not really', 'latin1'), 'application/pdf'] as const],
    [odd, () => [Buffer.concat([pdf(), Buffer.alloc(300_000, 0x20)]), 'application/pdf'] as const],
  ] as const)();
  const filename = weighted(g, [
    [6, () => pick(g, ['form.pdf', 'Blankett 9450.pdf', 'cv.docx', 'scan.png'])],
    [odd * 3, () => pick(g, ['../../etc/passwd', '\u202Efdp.exe', `${'n'.repeat(300)}.pdf`, '', 'a\u0000.pdf', 'Överenskommelse – signerad.pdf', 'CON', '.pdf', 'a"; b=c.pdf', 'x\r\ny.pdf'])],
  ] as const)();
  return { bytes: Buffer.from(bytes), filename, type };
}
