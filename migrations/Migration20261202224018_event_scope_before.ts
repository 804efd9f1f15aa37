import { Migration } from '@mikro-orm/migrations';

/** The hub's opaque global id of a row, as src/domain/global-id.ts makes it, in SQL. */
const gid = (type: string, id: string) => `rtrim(translate(encode(convert_to('${type}:' || ${id}::text, 'UTF8'), 'base64'), E'+/\\n', '-_'), '=')`;

export class Migration20261202224018_event_scope_before extends Migration {

  override name = 'Migration20261202224018_event_scope_before';

  override up(): void | Promise<void> {
    this.addSql(`alter table "events" add "scope_path_before" text collate "C" null;`);
    this.addSql(`create index "events_scope_path_before_idx" on "events" ("scope_path_before" text_pattern_ops) where "scope_path_before" is not null;`);
    // A mover's events are scoped by the old employer too: a plain (not deferred) row trigger notes the
    // old employer's path in a transaction-local setting (hub.moved_from_<person>), and the deferred
    // event triggers, which run at the commit when the person already works elsewhere, read it back.
    this.addSql(`create function hub_note_moved_from() returns trigger language plpgsql as $$
      begin
        if new.employer_id is distinct from old.employer_id and coalesce(current_setting('hub.moved_from_' || replace(new.id::text, '-', ''), true), '') = '' then
          perform set_config('hub.moved_from_' || replace(new.id::text, '-', ''), (select path from organisations where id = old.employer_id), true);
        end if;
        return null;
      end $$;`);
    this.addSql(`create trigger users_moved_from after update of employer_id on users for each row execute function hub_note_moved_from();`);
    this.addSql(`create or replace function hub_grant_events() returns trigger language plpgsql as $$
      declare
        kind text;
        holder_path text;
      begin
        if tg_op = 'INSERT' then
          kind := case new.state when 'active' then 'grant.activated' when 'suspended' then 'grant.suspended' end;
        elsif new.state is distinct from old.state then
          kind := case when new.state in ('revoked', 'expired') then 'grant.ended' when new.state = 'suspended' then 'grant.suspended'
            when new.state = 'active' then 'grant.resumed' end;
        elsif new.valid_to is distinct from old.valid_to or new.valid_from is distinct from old.valid_from then
          kind := 'grant.changed';
        end if;
        if kind is null then return null; end if;
        select e.path into holder_path from users u join organisations e on e.id = u.employer_id where u.id = new.user_id;
        insert into events (type, subject_type, subject_id, service_id, person_id, scope_path, scope_path_before, data)
          values (kind, 'Grant', new.id, new.service_id, new.user_id, holder_path, nullif(nullif(current_setting('hub.moved_from_' || replace(new.user_id::text, '-', ''), true), ''), holder_path), jsonb_build_object(
          'grant', ${gid('Grant', 'new.id')},
          'person', ${gid('User', 'new.user_id')},
          'service', (select code from services where id = new.service_id),
          'role', (select code from service_roles where id = new.role_id),
          'scope', ${gid('Organisation', 'new.scope_id')},
          'subAreas', coalesce((select jsonb_agg(a.code order by a.code) from grant_sub_areas ga join sub_areas a on a.id = ga.sub_area_id where ga.grant_id = new.id), '[]'::jsonb),
          'state', new.state,
          'validFrom', new.valid_from,
          'validTo', new.valid_to,
          'reason', case when new.state in ('revoked', 'expired') then new.end_reason when new.state = 'suspended' then new.suspend_reason end));
        return null;
      end $$;`);
    this.addSql(`create or replace function hub_employment_events() returns trigger language plpgsql as $$
      declare
        kind text;
        employer_path text;
      begin
        if tg_op = 'INSERT' then kind := 'person.joined';
        elsif old.end_applied_at is null and new.end_applied_at is not null then kind := 'person.left';
        elsif new.valid_to is distinct from old.valid_to and new.end_applied_at is null then kind := 'person.leaving';
        end if;
        if kind is null then return null; end if;
        select path into employer_path from organisations where id = new.employer_id;
        insert into events (type, subject_type, subject_id, service_id, person_id, scope_path, scope_path_before, data)
          values (kind, 'User', new.user_id, null, new.user_id, employer_path,
          -- A move ends one employment and begins another: each event reaches both employers.
          coalesce(nullif(nullif(current_setting('hub.moved_from_' || replace(new.user_id::text, '-', ''), true), ''), employer_path), nullif((select o.path from users u join organisations o on o.id = u.employer_id where u.id = new.user_id), employer_path)),
          jsonb_build_object(
          'person', ${gid('User', 'new.user_id')},
          'employer', ${gid('Organisation', 'new.employer_id')},
          'validFrom', new.valid_from,
          'validTo', new.valid_to,
          'reason', new.end_reason));
        return null;
      end $$;`);
    this.addSql(`create or replace function hub_person_moved_events() returns trigger language plpgsql as $$
      declare
        now_path text;
      begin
        if new.employer_id is not distinct from old.employer_id then return null; end if;
        select path into now_path from organisations where id = new.employer_id;
        insert into events (type, subject_type, subject_id, service_id, person_id, scope_path, scope_path_before, data)
          values ('person.moved', 'User', new.id, null, new.id, now_path,
          nullif(coalesce(nullif(nullif(current_setting('hub.moved_from_' || replace(new.id::text, '-', ''), true), ''), now_path), (select path from organisations where id = old.employer_id)), now_path), jsonb_build_object(
          'person', ${gid('User', 'new.id')},
          'from', ${gid('Organisation', 'old.employer_id')},
          'employer', ${gid('Organisation', 'new.employer_id')}));
        return null;
      end $$;`);
    this.addSql(`create or replace function hub_organisation_events() returns trigger language plpgsql as $$
      declare
        kind text;
        now_path text;
      begin
        if tg_op = 'INSERT' then kind := 'organisation.created';
        elsif new.parent_id is distinct from old.parent_id then kind := 'organisation.moved';
        elsif new.name is distinct from old.name or new.registration_number is distinct from old.registration_number then kind := 'organisation.changed';
        end if;
        if kind is null then return null; end if;
        select path into now_path from organisations where id = new.id;
        insert into events (type, subject_type, subject_id, service_id, person_id, scope_path, scope_path_before, data)
          values (kind, 'Organisation', new.id, null, null, now_path, case when tg_op = 'UPDATE' then nullif(old.path, now_path) end, jsonb_build_object(
          'organisation', ${gid('Organisation', 'new.id')},
          'name', new.name,
          'kind', new.kind,
          'registrationNumber', new.registration_number,
          'parent', case when new.parent_id is null then null else ${gid('Organisation', 'new.parent_id')} end));
        return null;
      end $$;`);
  }

  override down(): void | Promise<void> {
    // Back to the event functions of migration provisioning, which know no scope_path_before.
    this.addSql(`create or replace function hub_grant_events() returns trigger language plpgsql as $$
      declare
        kind text;
        holder_path text;
      begin
        if tg_op = 'INSERT' then
          kind := case new.state when 'active' then 'grant.activated' when 'suspended' then 'grant.suspended' end;
        elsif new.state is distinct from old.state then
          kind := case when new.state in ('revoked', 'expired') then 'grant.ended' when new.state = 'suspended' then 'grant.suspended'
            when new.state = 'active' then 'grant.resumed' end;
        elsif new.valid_to is distinct from old.valid_to or new.valid_from is distinct from old.valid_from then
          kind := 'grant.changed';
        end if;
        if kind is null then return null; end if;
        select e.path into holder_path from users u join organisations e on e.id = u.employer_id where u.id = new.user_id;
        insert into events (type, subject_type, subject_id, service_id, person_id, scope_path, data)
          values (kind, 'Grant', new.id, new.service_id, new.user_id, holder_path, jsonb_build_object(
          'grant', ${gid('Grant', 'new.id')},
          'person', ${gid('User', 'new.user_id')},
          'service', (select code from services where id = new.service_id),
          'role', (select code from service_roles where id = new.role_id),
          'scope', ${gid('Organisation', 'new.scope_id')},
          'subAreas', coalesce((select jsonb_agg(a.code order by a.code) from grant_sub_areas ga join sub_areas a on a.id = ga.sub_area_id where ga.grant_id = new.id), '[]'::jsonb),
          'state', new.state,
          'validFrom', new.valid_from,
          'validTo', new.valid_to,
          'reason', case when new.state in ('revoked', 'expired') then new.end_reason when new.state = 'suspended' then new.suspend_reason end));
        return null;
      end $$;`);
    this.addSql(`create or replace function hub_employment_events() returns trigger language plpgsql as $$
      declare
        kind text;
        employer_path text;
      begin
        if tg_op = 'INSERT' then kind := 'person.joined';
        elsif old.end_applied_at is null and new.end_applied_at is not null then kind := 'person.left';
        elsif new.valid_to is distinct from old.valid_to and new.end_applied_at is null then kind := 'person.leaving';
        end if;
        if kind is null then return null; end if;
        select path into employer_path from organisations where id = new.employer_id;
        insert into events (type, subject_type, subject_id, service_id, person_id, scope_path, data)
          values (kind, 'User', new.user_id, null, new.user_id, employer_path, jsonb_build_object(
          'person', ${gid('User', 'new.user_id')},
          'employer', ${gid('Organisation', 'new.employer_id')},
          'validFrom', new.valid_from,
          'validTo', new.valid_to,
          'reason', new.end_reason));
        return null;
      end $$;`);
    this.addSql(`create or replace function hub_person_moved_events() returns trigger language plpgsql as $$
      declare
        now_path text;
      begin
        if new.employer_id is not distinct from old.employer_id then return null; end if;
        select path into now_path from organisations where id = new.employer_id;
        insert into events (type, subject_type, subject_id, service_id, person_id, scope_path, data)
          values ('person.moved', 'User', new.id, null, new.id, now_path, jsonb_build_object(
          'person', ${gid('User', 'new.id')},
          'from', ${gid('Organisation', 'old.employer_id')},
          'employer', ${gid('Organisation', 'new.employer_id')}));
        return null;
      end $$;`);
    this.addSql(`create or replace function hub_organisation_events() returns trigger language plpgsql as $$
      declare
        kind text;
        now_path text;
      begin
        if tg_op = 'INSERT' then kind := 'organisation.created';
        elsif new.parent_id is distinct from old.parent_id then kind := 'organisation.moved';
        elsif new.name is distinct from old.name or new.registration_number is distinct from old.registration_number then kind := 'organisation.changed';
        end if;
        if kind is null then return null; end if;
        select path into now_path from organisations where id = new.id;
        insert into events (type, subject_type, subject_id, service_id, person_id, scope_path, data)
          values (kind, 'Organisation', new.id, null, null, now_path, jsonb_build_object(
          'organisation', ${gid('Organisation', 'new.id')},
          'name', new.name,
          'kind', new.kind,
          'registrationNumber', new.registration_number,
          'parent', case when new.parent_id is null then null else ${gid('Organisation', 'new.parent_id')} end));
        return null;
      end $$;`);
    this.addSql(`drop trigger if exists users_moved_from on users;`);
    this.addSql(`drop function if exists hub_note_moved_from();`);
    this.addSql(`drop index "events_scope_path_before_idx";`);
    this.addSql(`alter table "events" drop column "scope_path_before";`);
  }

}
