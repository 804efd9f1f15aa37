import fc from 'fast-check';
import { execute, Sql } from '../../src/db/sql.js';
import type { TestDatabase } from '../support/database.js';
import { chance, hostileString, index, pick, weighted, type Gen, type Level } from './values.js';

/** Relay global ids: base64url of "<Type>:<uuid>" (opaque to clients; the test knows the format). */
export const gid = (type: string, id: string) => Buffer.from(`${type}:${id}`, 'utf8').toString('base64url');
export const decodeGid = (globalId: string): { type: string; id: string } | null => {
  if (!/^[A-Za-z0-9_-]+$/.test(globalId)) return null;
  const [type, id] = Buffer.from(globalId, 'base64url').toString('utf8').split(':');
  return type && id ? { type, id } : null;
};

/**
 * Each node type with the SQL that lists its rows in an order that does not depend on the random
 * uuids, so that one seed picks the same objects on every run (the demo data and the objects the
 * fuzz set-up creates are made in the same order each time).
 */
const LISTINGS: Record<string, string> = {
  Organisation: 'select id from organisations order by name, kind, depth',
  User: 'select id from users order by email, family_name, created_at',
  Service: 'select id from services order by code',
  ServiceRole: 'select r.id from service_roles r join services s on s.id = r.service_id order by s.code, r.code',
  SubArea: 'select a.id from sub_areas a join services s on s.id = a.service_id order by s.code, a.code',
  Routine: 'select r.id from routines r join services s on s.id = r.service_id order by s.code, r.organisation_kind nulls first, r.effective_from, r.name',
  Grant: `select g.id from grants g join users u on u.id = g.user_id join services s on s.id = g.service_id join service_roles r on r.id = g.role_id
    join organisations o on o.id = g.scope_id order by u.email, s.code, r.code, o.name, g.created_at`,
  IssuerMandate: 'select m.id from issuer_mandates m join organisations o on o.id = m.organisation_id join services s on s.id = m.service_id order by o.name, s.code, m.created_at',
  OrdererAppointment: `select a.id from orderer_appointments a join users u on u.id = a.user_id join services s on s.id = a.service_id
    join organisations o on o.id = a.scope_id order by u.email, s.code, o.name, a.created_at`,
  Order: 'select o.id from orders o join users u on u.id = o.user_id join service_roles r on r.id = o.role_id order by o.submitted_at, u.email, r.code',
  Document: 'select id from documents order by created_at, filename, sha256',
  AuditEvent: 'select id from audit_events order by occurred_at, action, target_type',
};
export const NODE_TYPES = Object.keys(LISTINGS);

/** A global id that names nothing, or nothing valid: forged types, wrong encodings, oversized. */
function garbageId(g: Gen, realUuid: string): string {
  const uuid = g(fc.uuid, {});
  return weighted(g, [
    [3, () => gid(pick(g, NODE_TYPES), uuid)],
    [2, () => gid(pick(g, ['Node', 'grant', 'GRANT', 'Query', '__proto__', 'Grant ', 'OrganisationKind', 'Upload']), realUuid)],
    [2, () => gid(pick(g, NODE_TYPES), pick(g, ['not-a-uuid', realUuid.toUpperCase(), `${realUuid} `, `${realUuid}:extra`, '', '00000000-0000-0000-0000-000000000000']))],
    [1, () => Buffer.from(`Grant:${realUuid}`, 'utf8').toString('base64')],
    [1, () => `Grant:${realUuid}`],
    [1, () => realUuid],
    [1, () => pick(g, ['', '=', 'AAAA', '////', 'R3JhbnQ6', '-_-_', 'a'.repeat(201), 'QQ'.repeat(5000)])],
    [2, () => hostileString(g)],
  ] as const)();
}

/**
 * The ids the fuzz aims at: every object of the database when the run starts (read with SQL, in a
 * stable order), plus ids the API answered with during the run ("learned": the orders, grants and
 * documents the run itself created), plus cursors it was given.
 */
export class IdPool {
  private readonly learned = new Map<string, string[]>();
  private readonly known = new Set<string>();
  readonly cursors: string[] = [];

  private constructor(private readonly stable: Map<string, string[]>) {
    for (const ids of stable.values()) for (const id of ids) this.known.add(id);
  }

  static async load(db: TestDatabase): Promise<IdPool> {
    const em = db.orm.em.fork();
    const stable = new Map<string, string[]>();
    for (const [type, listing] of Object.entries(LISTINGS)) {
      const rows = await execute<{ id: string }>(em, Sql.raw(listing));
      stable.set(type, rows.map((r) => gid(type, r.id)));
    }
    return new IdPool(stable);
  }

  count(type: string): number {
    return (this.stable.get(type)?.length ?? 0) + (this.learned.get(type)?.length ?? 0);
  }

  /** Takes note of every global id and cursor in an answer. */
  learn(value: unknown, key = ''): void {
    if (typeof value === 'string') {
      if (key === 'id' && !this.known.has(value)) {
        const decoded = decodeGid(value);
        if (decoded && LISTINGS[decoded.type]) {
          this.known.add(value);
          this.learned.set(decoded.type, [...(this.learned.get(decoded.type) ?? []), value]);
        }
      } else if ((key === 'cursor' || key === 'startCursor' || key === 'endCursor') && this.cursors.length < 500 && !this.cursors.includes(value)) {
        this.cursors.push(value);
      }
      return;
    }
    if (Array.isArray(value)) for (const item of value) this.learn(item, key);
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) this.learn(v, k);
  }

  /** A real id of the type (or of any type), from the stable list or, now and then, the learned one. */
  real(g: Gen, type?: string): string {
    const types = NODE_TYPES.filter((n) => this.count(n) > 0);
    const any = types[index(g, types.length)];
    const t = type && this.count(type) > 0 ? type : any;
    const stable = this.stable.get(t) ?? [];
    const learned = this.learned.get(t) ?? [];
    const fromLearned = chance(g, 0.3);
    const from = learned.length && (fromLearned || !stable.length) ? learned : stable;
    return from[index(g, from.length)];
  }

  /**
   * An id for an argument that expects `type` (undefined: any node); the calmer the operation, the
   * likelier one that exists, so that well-formed mutations get past "not found" and change something.
   */
  id(g: Gen, type: string | undefined, level: Level = 'wild'): string {
    const real = this.real(g, type);
    return weighted(g, [
      [{ wild: 14, strict: 30, calm: 90 }[level], () => real],
      [3, () => this.real(g)],
      [2, () => gid(pick(g, NODE_TYPES), decodeGid(real)!.id)],
      [4, () => garbageId(g, decodeGid(real)!.id)],
    ] as const)();
  }

  cursor(g: Gen): string {
    return weighted(g, [
      [3, () => this.cursors[index(g, this.cursors.length)] ?? 'YXJyYXljb25uZWN0aW9uOjA'],
      [1, () => pick(g, ['', 'abc', 'eyJ4IjoxfQ', Buffer.from('{"k":["\'; drop"],"id":null}').toString('base64url'), Buffer.from('[1,2,3]').toString('base64url'), 'A'.repeat(5000)])],
      [1, () => hostileString(g)],
    ] as const)();
  }
}
