import type { Knex } from 'knex';

/**
 * Retention (db/retention.ts): one row per prune with what it deleted from each table, read by operators
 * and the capacity benchmark; and the indexes that let each prune statement find old rows without
 * scanning a table (record_history, sync_run_logs and bms_request_log are walked by their primary key, so
 * need none: those tables are written by the hundred thousand and stay free of another index).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('retention_prunes', (t) => {
    t.bigIncrements('id');
    t.timestamp('started_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('finished_at', { useTz: true }).nullable();
    t.timestamp('cutoff', { useTz: true }).notNullable().comment('Rows older than this were pruned');
    t.jsonb('deleted').notNullable().defaultTo('{}').comment('Rows deleted, per table');
    t.text('error').nullable();
  });
  await knex.schema.alterTable('sync_runs', (t) => {
    t.index(['started_at'], 'sync_runs_started_at_index');
  });
  await knex.schema.alterTable('notification_deliveries', (t) => {
    t.index(['created_at'], 'notification_deliveries_created_at_index');
  });
  await knex.schema.alterTable('adoptions', (t) => {
    t.index(['created_at'], 'adoptions_created_at_index');
  });
  await knex.schema.alterTable('idempotency_keys', (t) => {
    t.index(['expires_at'], 'idempotency_keys_expires_at_index');
  });
  await knex.schema.alterTable('sessions', (t) => {
    t.index(['expires_at'], 'sessions_expires_at_index');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('sessions', (t) => t.dropIndex(['expires_at'], 'sessions_expires_at_index'));
  await knex.schema.alterTable('idempotency_keys', (t) => t.dropIndex(['expires_at'], 'idempotency_keys_expires_at_index'));
  await knex.schema.alterTable('adoptions', (t) => t.dropIndex(['created_at'], 'adoptions_created_at_index'));
  await knex.schema.alterTable('notification_deliveries', (t) => t.dropIndex(['created_at'], 'notification_deliveries_created_at_index'));
  await knex.schema.alterTable('sync_runs', (t) => t.dropIndex(['started_at'], 'sync_runs_started_at_index'));
  await knex.schema.dropTable('retention_prunes');
}
