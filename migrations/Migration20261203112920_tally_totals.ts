import { Migration } from '@mikro-orm/migrations';

/**
 * Two sums of grant_tallies kept beside it by statement triggers, like the totals of
 * Migration20261203112052_report_totals: per service, role and state over every employer (grant
 * statistics of a scope that holds most employers: these minus the rest), and per employer and
 * service over roles and states (the subtree totals, one row per employer instead of eight).
 */
const SUMS = [
  { totals: 'grant_tally_totals', keys: ['service_id', 'role_id', 'state'] },
  { totals: 'grant_employer_totals', keys: ['employer_id', 'service_id'] },
];

export class Migration20261203112920_tally_totals extends Migration {

  override name = 'Migration20261203112920_tally_totals';

  override up(): void | Promise<void> {
    this.addSql(`create table "grant_employer_totals" ("employer_id" uuid not null, "service_id" uuid not null, "n" int not null, primary key ("employer_id", "service_id"));`);

    this.addSql(`create table "grant_tally_totals" ("service_id" uuid not null, "role_id" uuid not null, "state" varchar(16) not null, "n" int not null, primary key ("service_id", "role_id", "state"));`);

    const upsert = (totals: string, keys: string[], source: string) => `insert into ${totals} (${keys.join(', ')}, n)
    select ${keys.join(', ')}, sum(n) from (${source}) x group by ${keys.join(', ')} order by ${keys.join(', ')}
    on conflict (${keys.join(', ')}) do update set n = ${totals}.n + excluded.n;`;
    const rows = (table: string, sign: string) => `select employer_id, service_id, role_id, state, ${sign}n as n from ${table}`;
    const apply = (source: string) => SUMS.map(({ totals, keys }) => upsert(totals, keys, source)).join('\n    ');
    // Only the branch of the trigger's own operation is planned: each has its own transition tables.
    this.addSql(`create or replace function grant_tally_totals_follow() returns trigger language plpgsql as \$\$begin
  if tg_op = 'INSERT' then
    ${apply(rows('new_rows', ''))}
  elsif tg_op = 'UPDATE' then
    ${apply(`${rows('new_rows', '')} union all ${rows('old_rows', '-')}`)}
  else
    ${apply(rows('old_rows', '-'))}
  end if;
  return null;
end\$\$;`);
    // Creating the triggers locks out writers until commit, so the fills below see every row they will not.
    this.addSql(`create trigger grant_tallies_totals_insert after insert on grant_tallies referencing new table as new_rows for each statement execute function grant_tally_totals_follow();`);
    this.addSql(`create trigger grant_tallies_totals_update after update on grant_tallies referencing old table as old_rows new table as new_rows for each statement execute function grant_tally_totals_follow();`);
    this.addSql(`create trigger grant_tallies_totals_delete after delete on grant_tallies referencing old table as old_rows for each statement execute function grant_tally_totals_follow();`);
    for (const { totals, keys } of SUMS) this.addSql(`insert into ${totals} (${keys.join(', ')}, n) select ${keys.join(', ')}, sum(n) from grant_tallies group by ${keys.join(', ')};`);
  }

  override down(): void | Promise<void> {
    for (const op of ['insert', 'update', 'delete']) this.addSql(`drop trigger if exists grant_tallies_totals_${op} on grant_tallies;`);
    this.addSql(`drop function if exists grant_tally_totals_follow();`);
    this.addSql(`drop table if exists "grant_employer_totals" cascade;`);
    this.addSql(`drop table if exists "grant_tally_totals" cascade;`);
  }

}
