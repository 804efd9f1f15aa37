import { Migration } from '@mikro-orm/migrations';

export class Migration20261128172506_authorization_feed extends Migration {

  override name = 'Migration20261128172506_authorization_feed';

  override up(): void | Promise<void> {
    this.addSql(`create or replace function hub_authorization_changed() returns trigger language plpgsql as \$\$begin
  perform pg_notify('hub_authorization', tg_table_name);   return null; end \$\$;`);
    this.addSql(`create trigger organisations_authorization_changed after insert or update or delete on organisations for each statement execute function hub_authorization_changed();`);

    this.addSql(`create or replace function hub_authorization_changed() returns trigger language plpgsql as \$\$begin
  perform pg_notify('hub_authorization', tg_table_name);   return null; end \$\$;`);
    this.addSql(`create trigger services_authorization_changed after insert or update or delete on services for each statement execute function hub_authorization_changed();`);

    this.addSql(`create or replace function hub_authorization_changed() returns trigger language plpgsql as \$\$begin
  perform pg_notify('hub_authorization', tg_table_name);   return null; end \$\$;`);
    this.addSql(`create trigger users_authorization_changed after insert or update or delete on users for each statement execute function hub_authorization_changed();`);

    this.addSql(`create or replace function hub_authorization_changed() returns trigger language plpgsql as \$\$begin
  perform pg_notify('hub_authorization', tg_table_name);   return null; end \$\$;`);
    this.addSql(`create trigger routines_authorization_changed after insert or update or delete on routines for each statement execute function hub_authorization_changed();`);

    this.addSql(`create or replace function hub_authorization_changed() returns trigger language plpgsql as \$\$begin
  perform pg_notify('hub_authorization', tg_table_name);   return null; end \$\$;`);
    this.addSql(`create trigger placements_authorization_changed after insert or update or delete on placements for each statement execute function hub_authorization_changed();`);

    this.addSql(`create or replace function hub_authorization_changed() returns trigger language plpgsql as \$\$begin
  perform pg_notify('hub_authorization', tg_table_name);   return null; end \$\$;`);
    this.addSql(`create trigger issuer_administrators_authorization_changed after insert or update or delete on issuer_administrators for each statement execute function hub_authorization_changed();`);

    this.addSql(`create or replace function hub_authorization_changed() returns trigger language plpgsql as \$\$begin
  perform pg_notify('hub_authorization', tg_table_name);   return null; end \$\$;`);
    this.addSql(`create trigger federated_identities_authorization_changed after insert or update or delete on federated_identities for each statement execute function hub_authorization_changed();`);

    this.addSql(`create or replace function hub_authorization_changed() returns trigger language plpgsql as \$\$begin
  perform pg_notify('hub_authorization', tg_table_name);   return null; end \$\$;`);
    this.addSql(`create trigger orderer_appointments_authorization_changed after insert or update or delete on orderer_appointments for each statement execute function hub_authorization_changed();`);

    this.addSql(`create or replace function hub_authorization_changed() returns trigger language plpgsql as \$\$begin
  perform pg_notify('hub_authorization', tg_table_name);   return null; end \$\$;`);
    this.addSql(`create trigger issuer_mandates_authorization_changed after insert or update or delete on issuer_mandates for each statement execute function hub_authorization_changed();`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger if exists "federated_identities_authorization_changed" on "federated_identities";`);
    this.addSql(`drop function if exists "federated_identities_federated_identities_authorization_changed_fn"();`);

    this.addSql(`drop trigger if exists "issuer_administrators_authorization_changed" on "issuer_administrators";`);
    this.addSql(`drop function if exists "issuer_administrators_issuer_administrators_authorization_changed_fn"();`);

    this.addSql(`drop trigger if exists "issuer_mandates_authorization_changed" on "issuer_mandates";`);
    this.addSql(`drop function if exists "issuer_mandates_issuer_mandates_authorization_changed_fn"();`);

    this.addSql(`drop trigger if exists "orderer_appointments_authorization_changed" on "orderer_appointments";`);
    this.addSql(`drop function if exists "orderer_appointments_orderer_appointments_authorization_changed_fn"();`);

    this.addSql(`drop trigger if exists "organisations_authorization_changed" on "organisations";`);
    this.addSql(`drop function if exists "organisations_organisations_authorization_changed_fn"();`);

    this.addSql(`drop trigger if exists "placements_authorization_changed" on "placements";`);
    this.addSql(`drop function if exists "placements_placements_authorization_changed_fn"();`);

    this.addSql(`drop trigger if exists "routines_authorization_changed" on "routines";`);
    this.addSql(`drop function if exists "routines_routines_authorization_changed_fn"();`);

    this.addSql(`drop trigger if exists "services_authorization_changed" on "services";`);
    this.addSql(`drop function if exists "services_services_authorization_changed_fn"();`);

    this.addSql(`drop trigger if exists "users_authorization_changed" on "users";`);
    this.addSql(`drop function if exists "users_users_authorization_changed_fn"();`);
  }

}
