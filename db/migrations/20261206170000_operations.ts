import type { Knex } from 'knex';

/**
 * Operations: the account-wide record history log is read newest first per account (filters, exports), and
 * each integration keeps the last known reachability of its Kaseya BMS, written by connection tests, pulls
 * and pushes alike (the connection columns stay the last connection test's, as the Integration page shows).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('record_history', (t) => {
    t.index(['account_id', 'id'], 'record_history_account_id_id_index');
  });
  await knex.schema.alterTable('integrations', (t) => {
    t.text('bms_reachability').notNullable().defaultTo('unchecked');
    t.text('bms_reachability_error').nullable();
    t.timestamp('bms_reachability_at', { useTz: true }).nullable();
    t.text('bms_reachability_by').nullable();
  });
  await knex('integrations').update({
    bms_reachability: knex.ref('connection_status'),
    bms_reachability_error: knex.ref('connection_error'),
    bms_reachability_at: knex.ref('connection_checked_at'),
    bms_reachability_by: knex.raw("CASE WHEN connection_checked_at IS NULL THEN NULL ELSE 'connection_test' END"),
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('integrations', (t) => {
    t.dropColumns('bms_reachability', 'bms_reachability_error', 'bms_reachability_at', 'bms_reachability_by');
  });
  await knex.schema.alterTable('record_history', (t) => {
    t.dropIndex(['account_id', 'id'], 'record_history_account_id_id_index');
  });
}
