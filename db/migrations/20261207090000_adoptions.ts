import type { Knex } from 'knex';

/**
 * Adoptions: a preview of what pushing chosen existing records would do in Kaseya BMS, and, once a
 * person confirms it, the pushes it queued. One row per preview; one item row per chosen record with the
 * version it was previewed at (a confirm of a record that moved on since is refused), what the push
 * would do, and the version the confirm queued (its progress is read from the record's link).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('adoptions', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
    t.text('status').notNullable().defaultTo('computing');
    t.text('error');
    t.uuid('requested_by');
    t.text('requested_by_name').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('computed_at', { useTz: true });
    t.text('confirmed_by_name');
    t.timestamp('confirmed_at', { useTz: true });
    t.index(['account_id', 'created_at']);
  });
  await knex.schema.createTable('adoption_items', (t) => {
    t.uuid('adoption_id').notNullable().references('adoptions.id').onDelete('CASCADE');
    t.integer('position').notNullable();
    t.text('record_type').notNullable();
    t.uuid('record_id').notNullable();
    t.integer('version').notNullable().comment('The record version the preview was computed from');
    t.text('action').comment('What a push would do; null until computed');
    t.integer('bms_id').comment('The BMS record it would link to or update');
    t.jsonb('changes').comment('[{field, from, to}]: BMS value → documentation value');
    t.text('reason');
    t.integer('queued_version').comment('The version the confirm queued for push; null when not queued');
    t.text('confirm_error');
    t.primary(['adoption_id', 'position']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('adoption_items');
  await knex.schema.dropTable('adoptions');
}
