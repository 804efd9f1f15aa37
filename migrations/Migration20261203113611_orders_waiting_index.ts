import { Migration } from '@mikro-orm/migrations';

export class Migration20261203113611_orders_waiting_index extends Migration {

  override name = 'Migration20261203113611_orders_waiting_index';

  override up(): void | Promise<void> {
    this.addSql(`create index "orders_waiting_idx" on "orders" ("decider_id") include ("service_id", "user_id", "ordered_by_id", "submitted_at") where "state" = 'submitted';`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "orders_waiting_idx";`);
  }

}
