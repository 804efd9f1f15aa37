import { Migration } from '@mikro-orm/migrations';

export class Migration20261202184717_two_stage_approval extends Migration {

  override name = 'Migration20261202184717_two_stage_approval';

  override up(): void | Promise<void> {
    this.addSql(`alter table "orders" add "first_approved_by_id" uuid null, add "first_approved_at" timestamptz null;`);
    this.addSql(`alter table "orders" add constraint "orders_first_approved_by_id_foreign" foreign key ("first_approved_by_id") references "users" ("id") on delete set null;`);

    this.addSql(`alter table "order_events" add "stage" text null;`);
    this.addSql(`alter table "order_events" add constraint "order_events_stage_check" check ("stage" in ('first', 'second'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "orders" drop constraint "orders_first_approved_by_id_foreign";`);

    this.addSql(`alter table "order_events" drop constraint "order_events_stage_check";`);
    this.addSql(`alter table "order_events" drop column "stage";`);

    this.addSql(`alter table "orders" drop column "first_approved_by_id", drop column "first_approved_at";`);
  }

}
