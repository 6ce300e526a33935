import type { Knex } from 'knex';

/**
 * Match review: BMS records a pull held instead of creating (Sync Settings `unmatched: hold`), with what
 * a person decided about them, and the documentation records a person excluded from suggestions. Held
 * records are written by pulls in bulk, like the links, so they carry the account id without a foreign key
 * (see docs/architecture.md, "Tables and their keys").
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('held_records', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('account_id').notNullable();
    t.text('record_type').notNullable();
    t.integer('bms_id').notNullable();
    t.text('state').notNullable().defaultTo('held');
    /** The BMS record's synced fields in documentation form; references as record ids where linked. */
    t.jsonb('fields').notNullable();
    /** BMS ids of the records it refers to, by reference field. */
    t.jsonb('refs').notNullable().defaultTo('{}');
    t.text('bms_modified_on').nullable();
    /** The documentation record it was matched to or created as, once resolved. */
    t.uuid('record_id').nullable();
    t.integer('version').notNullable().defaultTo(1);
    t.uuid('updated_by').nullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['account_id', 'record_type', 'bms_id']);
    t.index(['account_id', 'record_type', 'state']);
    t.check("state IN ('held','excluded','resolved')", [], 'held_records_state_check');
  });
  await knex.schema.createTable('match_exclusions', (t) => {
    t.uuid('account_id').notNullable();
    t.text('record_type').notNullable();
    t.uuid('record_id').notNullable();
    t.uuid('excluded_by').nullable();
    t.timestamp('excluded_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['record_type', 'record_id']);
    t.index(['account_id', 'record_type']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('match_exclusions');
  await knex.schema.dropTable('held_records');
}
