import { Migration } from '@mikro-orm/migrations';

export class Migration20261203055020_search_prefix_indexes extends Migration {

  override name = 'Migration20261203055020_search_prefix_indexes';

  override up(): void | Promise<void> {
    this.addSql(`create index "organisations_search_name_idx" on "organisations" (lower("name") text_pattern_ops);`);
    this.addSql(`create index "organisations_search_registration_number_idx" on "organisations" (lower("registration_number") text_pattern_ops);`);

    this.addSql(`create index "users_search_name_idx" on "users" (lower("given_name" || ' ' || "family_name") text_pattern_ops);`);
    this.addSql(`create index "users_search_family_name_idx" on "users" (lower("family_name") text_pattern_ops);`);
    this.addSql(`create index "users_search_email_idx" on "users" (lower("email") text_pattern_ops);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "organisations_search_name_idx";`);
    this.addSql(`drop index "organisations_search_registration_number_idx";`);

    this.addSql(`drop index "users_search_name_idx";`);
    this.addSql(`drop index "users_search_family_name_idx";`);
    this.addSql(`drop index "users_search_email_idx";`);
  }

}
