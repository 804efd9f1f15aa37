import { Migration } from '@mikro-orm/migrations';

export class Migration20261202221835_webhook_disabled_cause extends Migration {

  override name = 'Migration20261202221835_webhook_disabled_cause';

  override up(): void | Promise<void> {
    this.addSql(`alter table "webhook_subscriptions" add "disabled_cause" text null, add "disabled_reason" text null;`);
    this.addSql(`alter table "webhook_subscriptions" add constraint "webhook_subscriptions_disabled_cause_check" check ("disabled_cause" in ('receiver_gone', 'manual'));`);
    // Subscriptions stopped before causes were kept were stopped by their client.
    this.addSql(`update "webhook_subscriptions" set "disabled_cause" = 'manual' where "disabled_at" is not null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "webhook_subscriptions" drop constraint "webhook_subscriptions_disabled_cause_check";`);
    this.addSql(`alter table "webhook_subscriptions" drop column "disabled_cause", drop column "disabled_reason";`);
  }

}
