import { Migration } from '@mikro-orm/migrations';

export class Migration20261203112235_staff_name_index_employer extends Migration {

  override name = 'Migration20261203112235_staff_name_index_employer';

  override up(): void | Promise<void> {
    this.addSql(`drop index "users_name_idx";`);
    this.addSql(`create index "users_name_idx" on "users" ("family_name", "given_name", "id") include ("employer_id");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "users_name_idx";`);
    this.addSql(`create index "users_name_idx" on "users" ("family_name", "given_name", "id");`);
  }

}
