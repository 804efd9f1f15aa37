import { Migration } from '@mikro-orm/migrations';

export class Migration20261122235908_staff_list_index extends Migration {

  override name = 'Migration20261122235908_staff_list_index';

  override up(): void | Promise<void> {
    this.addSql(`create index "users_name_idx" on "users" ("family_name", "given_name", "id");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "users_name_idx";`);
  }

}
