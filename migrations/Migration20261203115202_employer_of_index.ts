import { Migration } from '@mikro-orm/migrations';

export class Migration20261203115202_employer_of_index extends Migration {

  override name = 'Migration20261203115202_employer_of_index';

  override up(): void | Promise<void> {
    this.addSql(`create index "users_employer_of_idx" on "users" ("id") include ("employer_id");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "users_employer_of_idx";`);
  }

}
