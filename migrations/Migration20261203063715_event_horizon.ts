import { Migration } from '@mikro-orm/migrations';

/**
 * The feed's horizon: the newest position the retention job deleted (one row). A cursor before it
 * may have missed events that are gone, and the feed says so (CURSOR_EXPIRED) instead of resuming
 * silently. It starts at the beginning: what was deleted before it left no trace.
 */
export class Migration20261203063715_event_horizon extends Migration {

  override name = 'Migration20261203063715_event_horizon';

  override up(): void | Promise<void> {
    this.addSql(`create table "event_horizon" ("id" int not null, "tx_id" bigint not null, "seq" bigint not null, "pruned_at" timestamptz null, primary key ("id"));`);
    this.addSql(`insert into "event_horizon" ("id", "tx_id", "seq") values (1, 0, 0);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "event_horizon" cascade;`);
  }

}
