import { InvalidArgument } from '../domain/errors.js';
import { or, Sql, sql } from './sql.js';

/** At most this many words in one search: each one is an index condition more. */
export const SEARCH_MAX_WORDS = 5;

/**
 * A person's search text as words: trimmed, split at white space, lower-cased (a list matches them
 * one space apart, so "anna   sv" is "anna sv"). Empty (or only spaces) is no search. Length and control
 * characters are refused earlier, by the input guard.
 */
export function searchWords(text: string | null | undefined, argument = 'search'): string[] {
  const words = (text ?? '').trim().toLowerCase().split(/\s+/u).filter(Boolean);
  if (words.length > SEARCH_MAX_WORDS) throw new InvalidArgument(`\`${argument}\` holds at most ${SEARCH_MAX_WORDS} words.`, argument);
  return words;
}

/** A LIKE pattern matching text that starts with `word`, its wildcards escaped (LIKE's default escape is a backslash). */
export function prefixPattern(word: string): string {
  return `${word.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * Rows where one of `columns` (lower-cased expressions such as `lower(t.email)`) starts with the
 * words, one space apart: with an index `(expression text_pattern_ops)` per column, PostgreSQL
 * answers it as a bitmap of index range scans. No words: true.
 */
export function startsWithAny(words: string[], columns: string[]): Sql {
  if (words.length === 0) return Sql.raw('true');
  const pattern = prefixPattern(words.join(' '));
  return or(columns.map((c) => sql`${Sql.raw(c)} like ${pattern}`));
}
