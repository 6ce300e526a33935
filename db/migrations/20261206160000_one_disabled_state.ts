import type { Knex } from 'knex';

/**
 * Sync switched off for a record is the link's `disabled` state alone. The `sync_disabled` flag said the
 * same thing a second way (every switch set both); a link flagged but in another state is put in
 * `disabled`, so no record starts syncing again by this change.
 */
export async function up(knex: Knex): Promise<void> {
  await knex('sync_links').where({ sync_disabled: true }).whereNot({ state: 'disabled' }).update({ state: 'disabled', state_reason: null });
  await knex.schema.alterTable('sync_links', (t) => {
    t.dropColumn('sync_disabled');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('sync_links', (t) => {
    t.boolean('sync_disabled').notNullable().defaultTo(false);
  });
  await knex('sync_links').where({ state: 'disabled' }).update({ sync_disabled: true });
}
