import { Migration } from '@mikro-orm/migrations';

/** The hub's opaque global id of a row, as src/domain/global-id.ts makes it, in SQL. */
const gid = (type: string, id: string) => `rtrim(translate(encode(convert_to('${type}:' || ${id}::text, 'UTF8'), 'base64'), E'+/\\n', '-_'), '=')`;

export class Migration20261202181447_provisioning extends Migration {

  override name = 'Migration20261202181447_provisioning';

  override up(): void | Promise<void> {
    this.addSql(`create table "events" ("id" uuid not null, "seq" bigint not null, "tx_id" bigint not null, "type" varchar(64) not null, "subject_type" varchar(64) not null, "subject_id" uuid not null, "service_id" uuid null, "person_id" uuid null, "scope_path" text collate "C" null, "occurred_at" timestamptz not null, "data" jsonb not null, primary key ("id"));`);
    this.addSql(`alter table "events" add constraint "events_seq_unique" unique ("seq");`);
    this.addSql(`create index "events_order_idx" on "events" ("tx_id", "seq");`);
    this.addSql(`create index "events_service_idx" on "events" ("service_id", "tx_id", "seq");`);
    this.addSql(`create index "events_person_idx" on "events" ("person_id");`);
    this.addSql(`create index "events_scope_path_idx" on "events" ("scope_path" text_pattern_ops);`);
    this.addSql(`create index "events_occurred_at_idx" on "events" ("occurred_at");`);

    this.addSql(`create table "clients" ("id" uuid not null, "name" varchar(100) not null, "service_id" uuid null, "organisation_id" uuid null, "suspended_at" timestamptz null, "suspend_reason" text null, "created_by_id" uuid null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "clients" add constraint "clients_name_unique" unique ("name");`);
    this.addSql(`create index "clients_service_id_index" on "clients" ("service_id");`);
    this.addSql(`create index "clients_organisation_id_index" on "clients" ("organisation_id");`);

    this.addSql(`create table "client_credentials" ("id" uuid not null, "client_id" uuid not null, "issuer" varchar(500) not null, "oauth_client_id" varchar(255) not null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "client_credentials_client_id_index" on "client_credentials" ("client_id");`);
    this.addSql(`alter table "client_credentials" add constraint "client_credentials_issuer_client_unique" unique ("issuer", "oauth_client_id");`);

    this.addSql(`create table "webhook_subscriptions" ("id" uuid not null, "client_id" uuid not null, "url" varchar(2000) not null, "event_types" text[] not null, "secret" varchar(100) not null, "previous_secret" varchar(100) null, "previous_secret_until" timestamptz null, "cursor_tx" bigint not null, "cursor_seq" bigint not null, "disabled_at" timestamptz null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "webhook_subscriptions_client_id_index" on "webhook_subscriptions" ("client_id");`);

    this.addSql(`create table "webhook_deliveries" ("id" uuid not null, "subscription_id" uuid not null, "event_id" uuid not null, "event_tx" bigint not null, "event_seq" bigint not null, "subject_id" uuid not null, "state" text not null default 'pending', "attempts" int not null default 0, "next_attempt_at" timestamptz not null, "locked_by" varchar(100) null, "locked_until" timestamptz null, "last_status" int null, "last_error" text null, "delivered_at" timestamptz null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "webhook_deliveries_due_idx" on "webhook_deliveries" ("next_attempt_at") where "state" = 'pending';`);
    this.addSql(`create index "webhook_deliveries_subject_idx" on "webhook_deliveries" ("subscription_id", "subject_id", "event_tx", "event_seq") where "state" = 'pending';`);
    this.addSql(`create index "webhook_deliveries_state_idx" on "webhook_deliveries" ("subscription_id", "state", "created_at");`);
    this.addSql(`alter table "webhook_deliveries" add constraint "webhook_deliveries_once" unique ("subscription_id", "event_id");`);

    this.addSql(`alter table "clients" add constraint "clients_service_id_foreign" foreign key ("service_id") references "services" ("id") on delete set null;`);
    this.addSql(`alter table "clients" add constraint "clients_organisation_id_foreign" foreign key ("organisation_id") references "organisations" ("id") on delete set null;`);
    this.addSql(`alter table "clients" add constraint "clients_created_by_id_foreign" foreign key ("created_by_id") references "users" ("id") on delete set null;`);
    this.addSql(`alter table "clients" add constraint "clients_acts_for_one" check ((service_id is null) <> (organisation_id is null));`);

    this.addSql(`alter table "client_credentials" add constraint "client_credentials_client_id_foreign" foreign key ("client_id") references "clients" ("id");`);

    this.addSql(`alter table "webhook_subscriptions" add constraint "webhook_subscriptions_client_id_foreign" foreign key ("client_id") references "clients" ("id");`);

    this.addSql(`alter table "webhook_deliveries" add constraint "webhook_deliveries_subscription_id_foreign" foreign key ("subscription_id") references "webhook_subscriptions" ("id");`);
    this.addSql(`alter table "webhook_deliveries" add constraint "webhook_deliveries_state_check" check ("state" in ('pending', 'delivered', 'dead'));`);
    // Events (src/events): one function writes them all, in the changing transaction; row triggers call it
    // for grants, employments, people's employers, organisations and issuer mandates. Deferred to the
    // commit, so a grant's sub-areas (written after its row) are in its event.
    this.addSql(`create sequence events_seq;`);
    // The one way in: every event is an insert into events, which this stamps (order, transaction, time).
    this.addSql(`create function hub_event_stamp() returns trigger language plpgsql as $$
      begin
        new.id := coalesce(new.id, gen_random_uuid());
        new.seq := nextval('events_seq');
        new.tx_id := pg_current_xact_id()::text::bigint;
        new.occurred_at := clock_timestamp();
        return new;
      end $$;`);
    this.addSql(`create trigger events_stamp before insert on events for each row execute function hub_event_stamp();`);
    this.addSql(`create function hub_grant_events() returns trigger language plpgsql as $$
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
    this.addSql(`create constraint trigger grants_events after insert or update on grants deferrable initially deferred for each row execute function hub_grant_events();`);
    this.addSql(`create function hub_employment_events() returns trigger language plpgsql as $$
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
    this.addSql(`create constraint trigger employments_events after insert or update on employments deferrable initially deferred for each row execute function hub_employment_events();`);
    this.addSql(`create function hub_person_moved_events() returns trigger language plpgsql as $$
      begin
        if new.employer_id is not distinct from old.employer_id then return null; end if;
        insert into events (type, subject_type, subject_id, service_id, person_id, scope_path, data)
          values ('person.moved', 'User', new.id, null, new.id, (select path from organisations where id = new.employer_id), jsonb_build_object(
          'person', ${gid('User', 'new.id')},
          'from', ${gid('Organisation', 'old.employer_id')},
          'employer', ${gid('Organisation', 'new.employer_id')}));
        return null;
      end $$;`);
    this.addSql(`create constraint trigger users_events after update of employer_id on users deferrable initially deferred for each row execute function hub_person_moved_events();`);
    this.addSql(`create function hub_organisation_events() returns trigger language plpgsql as $$
      declare
        kind text;
      begin
        if tg_op = 'INSERT' then kind := 'organisation.created';
        elsif new.parent_id is distinct from old.parent_id then kind := 'organisation.moved';
        elsif new.name is distinct from old.name or new.registration_number is distinct from old.registration_number then kind := 'organisation.changed';
        end if;
        if kind is null then return null; end if;
        insert into events (type, subject_type, subject_id, service_id, person_id, scope_path, data)
          values (kind, 'Organisation', new.id, null, null, (select path from organisations where id = new.id), jsonb_build_object(
          'organisation', ${gid('Organisation', 'new.id')},
          'name', new.name,
          'kind', new.kind,
          'registrationNumber', new.registration_number,
          'parent', case when new.parent_id is null then null else ${gid('Organisation', 'new.parent_id')} end));
        return null;
      end $$;`);
    this.addSql(`create constraint trigger organisations_events after insert or update of parent_id, name, registration_number on organisations deferrable initially deferred for each row execute function hub_organisation_events();`);
    this.addSql(`create function hub_mandate_events() returns trigger language plpgsql as $$
      declare
        kind text;
      begin
        if tg_op = 'INSERT' then kind := 'mandate.granted';
        elsif new.state is distinct from old.state and new.state = 'ended' then kind := 'mandate.ended';
        elsif new.valid_to is distinct from old.valid_to then kind := 'mandate.changed';
        end if;
        if kind is null then return null; end if;
        insert into events (type, subject_type, subject_id, service_id, person_id, scope_path, data)
          values (kind, 'IssuerMandate', new.id, new.service_id, null, (select path from organisations where id = new.organisation_id), jsonb_build_object(
          'mandate', ${gid('IssuerMandate', 'new.id')},
          'organisation', ${gid('Organisation', 'new.organisation_id')},
          'service', (select code from services where id = new.service_id),
          'state', new.state,
          'validFrom', new.valid_from,
          'validTo', new.valid_to,
          'reason', new.end_reason));
        return null;
      end $$;`);
    this.addSql(`create constraint trigger issuer_mandates_events after insert or update on issuer_mandates deferrable initially deferred for each row execute function hub_mandate_events();`);
  }

  override down(): void | Promise<void> {
    for (const t of ['grants', 'employments', 'users', 'organisations', 'issuer_mandates']) this.addSql(`drop trigger if exists ${t}_events on ${t};`);
    for (const f of ['hub_grant_events', 'hub_employment_events', 'hub_person_moved_events', 'hub_organisation_events', 'hub_mandate_events']) this.addSql(`drop function if exists ${f}();`);
    this.addSql(`drop trigger if exists events_stamp on events;`);
    this.addSql(`drop function if exists hub_event_stamp();`);
    this.addSql(`drop sequence if exists events_seq;`);
    this.addSql(`alter table "client_credentials" drop constraint "client_credentials_client_id_foreign";`);
    this.addSql(`alter table "webhook_subscriptions" drop constraint "webhook_subscriptions_client_id_foreign";`);
    this.addSql(`alter table "webhook_deliveries" drop constraint "webhook_deliveries_subscription_id_foreign";`);

    this.addSql(`drop table if exists "events" cascade;`);
    this.addSql(`drop table if exists "clients" cascade;`);
    this.addSql(`drop table if exists "client_credentials" cascade;`);
    this.addSql(`drop table if exists "webhook_subscriptions" cascade;`);
    this.addSql(`drop table if exists "webhook_deliveries" cascade;`);
  }

}
