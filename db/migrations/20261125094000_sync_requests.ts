import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // When a person last asked for "Sync now": a pull that started before it runs once more at its end,
  // so a request that arrives while a pull runs is never lost.
  await knex.schema.alterTable('integrations', (t) => {
    t.timestamp('sync_requested_at', { useTz: true }).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('integrations', (t) => {
    t.dropColumn('sync_requested_at');
  });
}
