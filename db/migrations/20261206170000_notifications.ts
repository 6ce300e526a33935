import type { Knex } from 'knex';

/**
 * Notifications: each account's channels (a webhook with its signing secret, or email recipients), the
 * delivery log (one row per event and channel: the outbox the delivery workflow works from), and on the
 * integration the failure streak that decides when a pull failure is news and when the sync pauses itself.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('notification_channels', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
    t.text('kind').notNullable();
    t.text('name').notNullable();
    t.text('url').nullable();
    t.text('secret_enc').nullable();
    t.jsonb('recipients').notNullable().defaultTo('[]');
    t.jsonb('events').notNullable();
    t.boolean('enabled').notNullable().defaultTo(true);
    t.integer('version').notNullable().defaultTo(1);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['account_id']);
  });
  await knex.schema.createTable('notification_deliveries', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
    t.uuid('channel_id').notNullable().references('notification_channels.id').onDelete('CASCADE');
    t.text('event_kind').notNullable();
    /** One delivery per event and channel, however often the step that raised it is retried. */
    t.text('event_key').notNullable();
    t.jsonb('event').notNullable();
    t.text('status').notNullable().defaultTo('pending');
    t.integer('attempts').notNullable().defaultTo(0);
    t.text('last_error').nullable();
    t.integer('response_code').nullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('delivered_at', { useTz: true }).nullable();
    t.unique(['channel_id', 'event_key']);
    t.index(['account_id', 'created_at']);
  });
  await knex.schema.alterTable('integrations', (t) => {
    t.text('pause_reason').nullable();
    t.boolean('paused_automatically').notNullable().defaultTo(false);
    t.text('failure_cause').nullable();
    t.integer('failure_streak').notNullable().defaultTo(0);
    t.uuid('failure_last_run').nullable();
    t.timestamp('push_digest_at', { useTz: true }).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('integrations', (t) => {
    t.dropColumn('pause_reason');
    t.dropColumn('paused_automatically');
    t.dropColumn('failure_cause');
    t.dropColumn('failure_streak');
    t.dropColumn('failure_last_run');
    t.dropColumn('push_digest_at');
  });
  await knex.schema.dropTable('notification_deliveries');
  await knex.schema.dropTable('notification_channels');
}
