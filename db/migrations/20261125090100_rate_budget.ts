import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // One row per BMS request sent, per (BMS tenant, endpoint): the shared sliding-window budget.
  await knex.schema.createTable('bms_request_log', (t) => {
    t.bigIncrements('id');
    t.text('tenant_key').notNullable();
    t.text('endpoint').notNullable();
    t.timestamp('at', { useTz: true }).notNullable();
    t.index(['tenant_key', 'endpoint', 'at']);
  });
  // BMS asked us to back off (429 Retry-After): nobody calls the endpoint before `until`.
  await knex.schema.createTable('bms_request_blocks', (t) => {
    t.text('tenant_key').notNullable();
    t.text('endpoint').notNullable();
    t.timestamp('until', { useTz: true }).notNullable();
    t.primary(['tenant_key', 'endpoint']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('bms_request_blocks');
  await knex.schema.dropTableIfExists('bms_request_log');
}
