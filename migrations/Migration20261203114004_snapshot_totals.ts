import { Migration } from '@mikro-orm/migrations';

/**
 * The sums of Migration20261203112920_tally_totals for the monthly snapshots: per snapshot, service,
 * role and state, and per snapshot, employer and service, kept by statement triggers on
 * grant_tally_snapshots (taken by the summary job, corrected by the grant and employer triggers).
 * Groups that net to zero are not written: an employer change moves grants between employers and
 * leaves the service totals as they were, so concurrent moves do not wait on those rows.
 */
const SUMS = [
  { totals: 'grant_snapshot_totals', keys: ['taken_at', 'service_id', 'role_id', 'state'] },
  { totals: 'grant_snapshot_employer_totals', keys: ['taken_at', 'employer_id', 'service_id'] },
];

export class Migration20261203114004_snapshot_totals extends Migration {

  override name = 'Migration20261203114004_snapshot_totals';

  override up(): void | Promise<void> {
    this.addSql(`create table "grant_snapshot_employer_totals" ("taken_at" timestamptz not null, "employer_id" uuid not null, "service_id" uuid not null, "n" int not null, primary key ("taken_at", "employer_id", "service_id"));`);

    this.addSql(`create table "grant_snapshot_totals" ("taken_at" timestamptz not null, "service_id" uuid not null, "role_id" uuid not null, "state" varchar(16) not null, "n" int not null, primary key ("taken_at", "service_id", "role_id", "state"));`);

    const upsert = (totals: string, keys: string[], source: string) => `insert into ${totals} (${keys.join(', ')}, n)
    select ${keys.join(', ')}, sum(n) from (${source}) x group by ${keys.join(', ')} having sum(n) <> 0 order by ${keys.join(', ')}
    on conflict (${keys.join(', ')}) do update set n = ${totals}.n + excluded.n;`;
    const rows = (table: string, sign: string) => `select taken_at, employer_id, service_id, role_id, state, ${sign}n as n from ${table}`;
    const apply = (source: string) => SUMS.map(({ totals, keys }) => upsert(totals, keys, source)).join('\n    ');
    // Only the branch of the trigger's own operation is planned: each has its own transition tables.
    this.addSql(`create or replace function grant_snapshot_totals_follow() returns trigger language plpgsql as \$\$begin
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
    this.addSql(`create trigger grant_tally_snapshots_totals_insert after insert on grant_tally_snapshots referencing new table as new_rows for each statement execute function grant_snapshot_totals_follow();`);
    this.addSql(`create trigger grant_tally_snapshots_totals_update after update on grant_tally_snapshots referencing old table as old_rows new table as new_rows for each statement execute function grant_snapshot_totals_follow();`);
    this.addSql(`create trigger grant_tally_snapshots_totals_delete after delete on grant_tally_snapshots referencing old table as old_rows for each statement execute function grant_snapshot_totals_follow();`);
    for (const { totals, keys } of SUMS) this.addSql(`insert into ${totals} (${keys.join(', ')}, n) select ${keys.join(', ')}, sum(n) from grant_tally_snapshots group by ${keys.join(', ')} having sum(n) <> 0;`);
  }

  override down(): void | Promise<void> {
    for (const op of ['insert', 'update', 'delete']) this.addSql(`drop trigger if exists grant_tally_snapshots_totals_${op} on grant_tally_snapshots;`);
    this.addSql(`drop function if exists grant_snapshot_totals_follow();`);
    this.addSql(`drop table if exists "grant_snapshot_employer_totals" cascade;`);
    this.addSql(`drop table if exists "grant_snapshot_totals" cascade;`);
  }

}
