import type { Knex } from 'knex';

/**
 * Operations: the account-wide record history log is read newest first per account (filters, exports), and
 * the integration's connection status is now the last known reachability of Kaseya BMS, kept by connection
 * tests, pulls and pushes alike; `connection_checked_by` says which of them saw it last.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('record_history', (t) => {
    t.index(['account_id', 'id'], 'record_history_account_id_id_index');
  });
  await knex.schema.alterTable('integrations', (t) => {
    t.text('connection_checked_by').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('integrations', (t) => {
    t.dropColumn('connection_checked_by');
  });
  await knex.schema.alterTable('record_history', (t) => {
    t.dropIndex(['account_id', 'id'], 'record_history_account_id_id_index');
  });
}
