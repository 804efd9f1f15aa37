import { Migration } from '@mikro-orm/migrations';

export class Migration20261202190719_order_attachment_versions extends Migration {

  override name = 'Migration20261202190719_order_attachment_versions';

  override up(): void | Promise<void> {
    this.addSql(`alter table "order_attachments" add "replaced_at" timestamptz null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "order_attachments" drop column "replaced_at";`);
  }

}
