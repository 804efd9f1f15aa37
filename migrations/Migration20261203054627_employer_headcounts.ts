import { Migration } from '@mikro-orm/migrations';

export class Migration20261203054627_employer_headcounts extends Migration {

  override name = 'Migration20261203054627_employer_headcounts';

  override up(): void | Promise<void> {
    this.addSql(`create table "employer_headcounts" ("employer_id" uuid not null, "n" int not null, primary key ("employer_id"));`);

    this.addSql(`alter table "employer_headcounts" add constraint "employer_headcounts_employer_id_foreign" foreign key ("employer_id") references "organisations" ("id") on update cascade on delete cascade;`);

    // Every change of a person's employer moves one from the old employer's count to the new one's, in
    // the changing transaction; rows are locked in employer order, so two opposite moves cannot deadlock.
    this.addSql(`create or replace function employer_headcount_change() returns trigger language plpgsql as \$\$begin
  if tg_op = 'INSERT' then
    insert into employer_headcounts as h (employer_id, n) select new.employer_id, 1 where new.employer_id is not null
    on conflict (employer_id) do update set n = h.n + 1;
  elsif tg_op = 'DELETE' then
    update employer_headcounts set n = n - 1 where employer_id = old.employer_id;
  elsif old.employer_id is distinct from new.employer_id then
    insert into employer_headcounts as h (employer_id, n)
    select x.employer_id, x.n from (values (old.employer_id, -1), (new.employer_id, 1)) as x (employer_id, n)
    where x.employer_id is not null order by x.employer_id
    on conflict (employer_id) do update set n = h.n + excluded.n;
  end if;
  return null;
end \$\$;`);
    this.addSql(`create trigger users_employer_headcount after insert or delete or update of employer_id on users for each row
  execute function employer_headcount_change();`);
    // Creating the trigger locked users against writes until commit: nobody joins, moves or leaves uncounted.
    this.addSql(`insert into employer_headcounts (employer_id, n) select employer_id, count(*)::int from users where employer_id is not null group by employer_id;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger if exists users_employer_headcount on users;`);
    this.addSql(`drop function if exists employer_headcount_change();`);
    this.addSql(`drop table if exists "employer_headcounts" cascade;`);
  }

}
