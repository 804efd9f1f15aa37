import { Migration } from '@mikro-orm/migrations';

export class Migration20261203070708_issuer_workload_index extends Migration {

  override name = 'Migration20261203070708_issuer_workload_index';

  override up(): void | Promise<void> {
    this.addSql(`create index "orders_decided_idx" on "orders" ("decided_at") include ("decider_id", "service_id", "user_id", "ordered_by_id", "submitted_at") where "state" in ('approved', 'rejected');`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "orders_decided_idx";`);
  }

}
