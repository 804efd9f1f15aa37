import { Migration } from '@mikro-orm/migrations';

export class Migration20261202180858_organisation_tree extends Migration {

  override name = 'Migration20261202180858_organisation_tree';

  override up(): void | Promise<void> {
    this.addSql(`alter table "organisations" add "closed_at" timestamptz null;`);
    this.addSql(`create unique index "organisations_legal_entity_registration_unique" on "organisations" ("registration_number") where "kind" <> 'unit' and "registration_number" is not null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "organisations_legal_entity_registration_unique";`);
    this.addSql(`alter table "organisations" drop column "closed_at";`);
  }

}
