import { Migration } from '@mikro-orm/migrations';

export class Migration20261202185547_access_check_email extends Migration {

  override name = 'Migration20261202185547_access_check_email';

  override up(): void | Promise<void> {
    this.addSql(`create index "users_email_lower_idx" on "users" (lower("email"));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "users_email_lower_idx";`);
  }

}
