import { Migration } from '@mikro-orm/migrations';

export class Migration20261128172132_active_grant_valid_to_index extends Migration {

  override name = 'Migration20261128172132_active_grant_valid_to_index';

  override up(): void | Promise<void> {
    this.addSql(`create index "grants_active_valid_to_idx" on "grants" ("valid_to", "user_id") where "state" = 'active';`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "grants_active_valid_to_idx";`);
  }

}
