/*
 * Statement triggers on every table a viewer's authorization facts are built from (identities,
 * users, organisations, placements, services, routines, issuer administrators and mandates, orderer
 * appointments): any write notifies `hub_authorization` at commit, and each hub instance drops its
 * viewer cache (authorization-feed.ts). Declared on the entities as raw DDL, like the report triggers.
 */

const FUNCTION = `create or replace function hub_authorization_changed() returns trigger language plpgsql as $$
begin
  perform pg_notify('hub_authorization', tg_table_name);
  return null;
end $$`;

/** The trigger of one table, with the (idempotent) function it calls. */
export function authorizationTrigger(table: string) {
  const name = `${table}_authorization_changed`;
  return {
    name,
    timing: 'after' as const,
    events: ['insert' as const, 'update' as const, 'delete' as const],
    expression: `${FUNCTION};
create trigger ${name} after insert or update or delete on ${table} for each statement execute function hub_authorization_changed()`,
  };
}
