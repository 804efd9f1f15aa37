import { Migration } from '@mikro-orm/migrations';

/**
 * Service-level totals of the monthly flows and of the expiry tallies, kept by statement triggers on
 * the per-employer tables (whatever writes them: the fold, a rebuild), so a report whose scope covers
 * most employers reads the totals minus the few employers it leaves out.
 */
const TOTALS = [
  {
    table: 'grant_month_flows',
    totals: 'grant_month_totals',
    keys: ['month', 'service_id'],
    values: ['issued', 'ended'],
  },
  {
    table: 'grant_expiry_tallies',
    totals: 'grant_expiry_totals',
    keys: ['expires_on', 'service_id'],
    values: ['n'],
  },
];

export class Migration20261203112052_report_totals extends Migration {

  override name = 'Migration20261203112052_report_totals';

  override up(): void | Promise<void> {
    this.addSql(`create table "grant_expiry_totals" ("expires_on" timestamptz not null, "service_id" uuid not null, "n" int not null, primary key ("expires_on", "service_id"));`);

    this.addSql(`create table "grant_month_totals" ("month" timestamptz not null, "service_id" uuid not null, "issued" int not null, "ended" int not null, primary key ("month", "service_id"));`);

    this.addSql(`create index "grant_expiry_tallies_employer_idx" on "grant_expiry_tallies" ("employer_id", "service_id", "expires_on");`);

    this.addSql(`create index "grant_month_flows_employer_idx" on "grant_month_flows" ("employer_id", "service_id", "month");`);

    for (const { table, totals, keys, values } of TOTALS) {
      const k = keys.join(', ');
      const sums = values.map((v) => `sum(${v})`).join(', ');
      const signed = (rows: string, sign: string) => `select ${k}, ${values.map((v) => `${sign}${v}`).join(', ')} from ${rows}`;
      const upsert = (source: string) => `insert into ${totals} (${k}, ${values.join(', ')})
    select ${k}, ${sums} from (${source}) x (${k}, ${values.join(', ')}) group by ${k} order by ${k}
    on conflict (${k}) do update set ${values.map((v) => `${v} = ${totals}.${v} + excluded.${v}`).join(', ')};`;
      // One function per table; each trigger has its own transition tables, and only its branch is planned.
      this.addSql(`create or replace function ${totals}_follow() returns trigger language plpgsql as \$\$begin
  if tg_op = 'INSERT' then
    ${upsert(signed('new_rows', ''))}
  elsif tg_op = 'UPDATE' then
    ${upsert(`${signed('new_rows', '')} union all ${signed('old_rows', '-')}`)}
  else
    ${upsert(signed('old_rows', '-'))}
  end if;
  return null;
end\$\$;`);
      // Creating the triggers locks out writers until commit, so the fill below sees every row they will not.
      this.addSql(`create trigger ${table}_totals_insert after insert on ${table} referencing new table as new_rows for each statement execute function ${totals}_follow();`);
      this.addSql(`create trigger ${table}_totals_update after update on ${table} referencing old table as old_rows new table as new_rows for each statement execute function ${totals}_follow();`);
      this.addSql(`create trigger ${table}_totals_delete after delete on ${table} referencing old table as old_rows for each statement execute function ${totals}_follow();`);
      this.addSql(`insert into ${totals} (${k}, ${values.join(', ')}) select ${k}, ${sums} from ${table} group by ${k};`);
    }
  }

  override down(): void | Promise<void> {
    for (const { table, totals } of TOTALS) {
      for (const op of ['insert', 'update', 'delete']) this.addSql(`drop trigger if exists ${table}_totals_${op} on ${table};`);
      this.addSql(`drop function if exists ${totals}_follow();`);
    }
    this.addSql(`drop table if exists "grant_expiry_totals" cascade;`);
    this.addSql(`drop table if exists "grant_month_totals" cascade;`);

    this.addSql(`drop index "grant_expiry_tallies_employer_idx";`);

    this.addSql(`drop index "grant_month_flows_employer_idx";`);
  }

}
