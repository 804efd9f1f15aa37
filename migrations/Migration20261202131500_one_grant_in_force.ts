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
    this.addSql(`alter table "grants" add constraint "grants_one_in_force" exclude using gist
      ("user_id" with =, "service_id" with =, "role_id" with =, "scope_id" with =, tstzrange("valid_from", "valid_to") with &&)
      where ("state" in ('active', 'suspended'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "grants" drop constraint if exists "grants_one_in_force";`);
  }

}
