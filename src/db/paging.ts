import { InvalidArgument } from '../domain/errors.js';

/** What a client asks of a list: Relay's four paging arguments, whatever edge they came through. */
export interface PageArguments {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

export interface Page<T> {
  items: T[];
  cursors: string[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  /** The rows the items link to, read with them (ListQuery.include), once each. */
  included?: object[];
}

/** The validated direction and size of a page request. */
export interface PageRequest {
  direction: 'forward' | 'backward';
  size: number;
  cursor: unknown[] | null;
}

export function encodeCursor(values: unknown[]): string {
  return Buffer.from(JSON.stringify(values), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string, arg: string, width: number): unknown[] {
  try {
    const values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(values) && values.length === width && values.every((v) => typeof v === 'string' || typeof v === 'number')) {
      return values;
    }
  } catch {
    // fall through to the error below
  }
  throw new InvalidArgument(`\`${arg}\` is not a cursor of this list.`, arg);
}

/** Checks first/last/after/before against the Relay rules and the server's page-size cap. */
export function pageRequest(
  args: PageArguments,
  maxPageSize: number,
  keyWidth: number,
  defaultSize = 20,
  options: { nested?: boolean } = {},
): PageRequest {
  if (args.first != null && args.last != null) throw new InvalidArgument('Use `first` or `last`, not both.');
  if (options.nested && (args.last != null || args.before != null)) {
    throw new InvalidArgument('Nested lists page forward only: use `first` and `after`.');
  }
  for (const arg of ['first', 'last'] as const) {
    const n = args[arg];
    if (n != null && (n < 0 || n > maxPageSize)) throw new InvalidArgument(`\`${arg}\` must be between 0 and ${maxPageSize}.`, arg);
  }
  if (args.last != null || (args.before != null && args.first == null)) {
    return {
      direction: 'backward',
      size: args.last ?? defaultSize,
      cursor: args.before ? decodeCursor(args.before, 'before', keyWidth) : null,
    };
  }
  return {
    direction: 'forward',
    size: args.first ?? defaultSize,
    cursor: args.after ? decodeCursor(args.after, 'after', keyWidth) : null,
  };
}
