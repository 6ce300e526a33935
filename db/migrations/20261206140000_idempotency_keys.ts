import type { Knex } from 'knex';

/**
 * Idempotency keys of record creates: the first request with a key stores its answer in the same
 * transaction as the record it creates, so a retry (a lost answer, a double submit) gets that answer back
 * instead of a second record. The primary key is what makes concurrent requests with one key create one
 * record: the second waits on the first's uncommitted row, then reads its answer.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('idempotency_keys', (t) => {
    t.uuid('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
    t.text('key').notNullable();
    t.text('fingerprint').notNullable().comment('sha256 of the request the key was first used with');
    t.integer('status').notNullable();
    t.jsonb('answer').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.primary(['account_id', 'key']);
    t.index(['account_id', 'expires_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('idempotency_keys');
}
