import type { Knex } from 'knex';

/**
 * Where the last walk of a table walked by primary key ended (db/retention.ts): a prune of record_history
 * walks on from there and re-examines only the records that changed since, instead of walking again every
 * entry it keeps forever; and when the last full walk was.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('retention_cursors', (t) => {
    t.text('task').primary();
    t.bigInteger('walked_to').notNullable().comment('Every row up to this id was examined by a walk that reached it');
    t.timestamp('full_walk_at', { useTz: true }).nullable().comment('When the last walk from the first row ended');
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('retention_cursors');
}
