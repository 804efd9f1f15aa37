import { Migration } from '@mikro-orm/migrations';

/**
 * One grant in force per person, service, role and scope: no two active or suspended grants whose
 * validity overlaps. An exclusion constraint, so concurrent approvals on several instances cannot
 * both commit (the order service also checks first, to answer with the grant's id).
 */
export class Migration20261202131500_one_grant_in_force extends Migration {

  override name = 'Migration20261202131500_one_grant_in_force';

  override up(): void | Promise<void> {
    this.addSql(`create extension if not exists btree_gist;`);
    // Duplicates made before this rule: the later of two overlapping grants in force is revoked, with the
    // reason kept, so that the constraint can be added to a database that already holds some.
    this.addSql(`update grants g set state = 'revoked', ended_at = greatest(g.valid_from, now()), end_reason = 'DUPLICATE_GRANT', updated_at = now()
      where g.state in ('active', 'suspended') and exists (select 1 from grants h
        where h.user_id = g.user_id and h.service_id = g.service_id and h.role_id = g.role_id and h.scope_id = g.scope_id
          and h.state in ('active', 'suspended') and (h.created_at, h.id) < (g.created_at, g.id)
          and tstzrange(h.valid_from, h.valid_to) && tstzrange(g.valid_from, g.valid_to));`);
    this.addSql(`insert into audit_events (id, occurred_at, actor_identity, action, target_type, target_id, after, reason)
      select gen_random_uuid(), now(), 'system:migration', 'grant.revoke', 'Grant', g.id, json_build_object('state', 'revoked'),
        'DUPLICATE_GRANT: another grant of the same role and scope was in force'
      from grants g where g.end_reason = 'DUPLICATE_GRANT';`);
    // A grant in force whose validity ends before it starts was never in force by its dates: an empty range says so.
    this.addSql(`update grants set valid_to = valid_from where state in ('active', 'suspended') and valid_to < valid_from;`);
    this.addSql(`alter table "grants" add constraint "grants_one_in_force" exclude using gist
      ("user_id" with =, "service_id" with =, "role_id" with =, "scope_id" with =, tstzrange("valid_from", "valid_to") with &&)
      where ("state" in ('active', 'suspended'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "grants" drop constraint if exists "grants_one_in_force";`);
  }

}
