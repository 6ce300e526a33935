import type { Knex } from 'knex';

const RECORD_TYPES = "('organization','location','contact','configuration')";

function recordColumns(knex: Knex, t: Knex.CreateTableBuilder): void {
  t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
  t.uuid('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
}

function recordAudit(knex: Knex, t: Knex.CreateTableBuilder): void {
  t.integer('version').notNullable().defaultTo(1);
  t.text('updated_origin').notNullable().defaultTo('system');
  t.uuid('updated_by').nullable();
  t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
}

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('accounts', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('name').notNullable();
    t.text('plan').notNullable().defaultTo('basic');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.check("plan IN ('basic','select','enterprise')", [], 'accounts_plan_check');
  });

  await knex.schema.createTable('users', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
    t.text('email').notNullable();
    t.text('name').notNullable();
    t.text('role').notNullable();
    t.text('password_hash').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('disabled_at', { useTz: true }).nullable();
    t.check("role IN ('administrator','manager','editor','read-only')", [], 'users_role_check');
  });
  await knex.raw('CREATE UNIQUE INDEX users_email_unique ON users (lower(email))');

  await knex.schema.createTable('sessions', (t) => {
    t.text('token_hash').primary();
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('last_seen_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('api_keys', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
    t.text('name').notNullable();
    t.text('role').notNullable();
    t.text('key_prefix').notNullable();
    t.text('key_hash').notNullable().unique();
    t.uuid('created_by').nullable().references('users.id').onDelete('SET NULL');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_used_at', { useTz: true }).nullable();
    t.timestamp('revoked_at', { useTz: true }).nullable();
    t.check("role IN ('administrator','manager','editor','read-only')", [], 'api_keys_role_check');
  });

  await knex.schema.createTable('organizations', (t) => {
    recordColumns(knex, t);
    t.text('name').notNullable();
    t.text('short_name');
    t.text('type');
    t.text('status');
    t.uuid('parent_id').nullable().references('organizations.id').onDelete('SET NULL');
    t.text('description');
    t.text('quick_notes');
    t.text('alert');
    recordAudit(knex, t);
    t.index(['account_id', 'name']);
  });

  await knex.schema.createTable('locations', (t) => {
    recordColumns(knex, t);
    t.uuid('organization_id').notNullable().references('organizations.id').onDelete('CASCADE');
    t.text('name').notNullable();
    t.boolean('primary').notNullable().defaultTo(false);
    t.text('address_1');
    t.text('address_2');
    t.text('city');
    t.text('region');
    t.text('postal_code');
    t.text('country');
    t.text('phone');
    t.text('fax');
    t.text('notes');
    recordAudit(knex, t);
    t.index(['account_id', 'organization_id']);
  });

  await knex.schema.createTable('contacts', (t) => {
    recordColumns(knex, t);
    t.uuid('organization_id').notNullable().references('organizations.id').onDelete('CASCADE');
    t.uuid('location_id').nullable().references('locations.id').onDelete('SET NULL');
    t.text('first_name').notNullable();
    t.text('last_name');
    t.text('title');
    t.boolean('important').notNullable().defaultTo(false);
    t.jsonb('emails').notNullable().defaultTo('[]');
    t.jsonb('phones').notNullable().defaultTo('[]');
    t.text('notes');
    recordAudit(knex, t);
    t.index(['account_id', 'organization_id']);
  });

  await knex.schema.createTable('configurations', (t) => {
    recordColumns(knex, t);
    t.uuid('organization_id').notNullable().references('organizations.id').onDelete('CASCADE');
    t.uuid('location_id').nullable().references('locations.id').onDelete('SET NULL');
    t.uuid('contact_id').nullable().references('contacts.id').onDelete('SET NULL');
    t.text('name').notNullable();
    t.text('type');
    t.text('status');
    t.text('serial_number');
    t.text('asset_tag');
    t.text('mac_address');
    t.text('primary_ip');
    t.text('default_gateway');
    t.text('manufacturer');
    t.text('model');
    t.text('operating_system');
    t.text('platform');
    t.text('position');
    t.date('purchased_at');
    t.date('warranty_expires_at');
    t.text('notes');
    t.text('hostname');
    recordAudit(knex, t);
    t.index(['account_id', 'organization_id']);
  });

  await knex.schema.createTable('sync_links', (t) => {
    t.text('record_type').notNullable();
    t.uuid('record_id').notNullable();
    t.uuid('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
    t.integer('bms_id').nullable();
    t.text('state').notNullable();
    t.text('state_reason').nullable();
    t.jsonb('base').nullable();
    t.text('bms_modified_on').nullable();
    /** BMS ids this record's BMS twin refers to (e.g. {"parentId": 12}), resolved to record ids after each pull. */
    t.jsonb('remote_refs').nullable();
    t.integer('pushed_version').nullable();
    t.integer('requested_version').nullable();
    t.timestamp('last_pushed_at', { useTz: true }).nullable();
    t.timestamp('last_pulled_at', { useTz: true }).nullable();
    t.jsonb('last_error').nullable();
    t.boolean('sync_disabled').notNullable().defaultTo(false);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['record_type', 'record_id']);
    t.unique(['account_id', 'record_type', 'bms_id']);
    t.index(['account_id', 'record_type', 'state']);
    t.check(`record_type IN ${RECORD_TYPES}`, [], 'sync_links_record_type_check');
  });

  await knex.schema.createTable('integrations', (t) => {
    t.uuid('account_id').primary().references('accounts.id').onDelete('CASCADE');
    t.text('api_url').notNullable();
    t.text('v1_url').nullable();
    t.text('tenant').notNullable();
    t.text('username').notNullable();
    t.text('password_enc').notNullable();
    t.jsonb('settings').notNullable().defaultTo('{}');
    t.boolean('two_way_enabled').notNullable().defaultTo(false);
    t.timestamp('two_way_enabled_at', { useTz: true }).nullable();
    t.boolean('paused').notNullable().defaultTo(false);
    t.jsonb('lookups').notNullable().defaultTo('{}');
    t.text('connection_status').notNullable().defaultTo('unchecked');
    t.text('connection_error').nullable();
    t.timestamp('connection_checked_at', { useTz: true }).nullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('pull_watermarks', (t) => {
    t.uuid('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
    t.text('entity').notNullable();
    t.text('watermark').nullable();
    t.jsonb('state').notNullable().defaultTo('{}');
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['account_id', 'entity']);
  });

  await knex.schema.createTable('sync_runs', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
    t.text('workflow_id').notNullable();
    t.text('run_id').notNullable();
    t.text('trigger').notNullable();
    t.text('status').notNullable().defaultTo('running');
    t.jsonb('counts').notNullable().defaultTo('{}');
    t.text('error').nullable();
    t.timestamp('started_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('finished_at', { useTz: true }).nullable();
    t.unique(['workflow_id', 'run_id']);
    t.index(['account_id', 'started_at']);
  });

  await knex.schema.createTable('sync_run_logs', (t) => {
    t.bigIncrements('id');
    t.uuid('sync_run_id').notNullable().references('sync_runs.id').onDelete('CASCADE');
    t.timestamp('at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.text('level').notNullable();
    t.text('record_type').nullable();
    t.uuid('record_id').nullable();
    t.integer('bms_id').nullable();
    t.text('message').notNullable();
    t.index(['sync_run_id', 'id']);
  });

  await knex.schema.createTable('record_history', (t) => {
    t.bigIncrements('id');
    t.uuid('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
    t.text('record_type').notNullable();
    t.uuid('record_id').notNullable();
    t.timestamp('at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.text('kind').notNullable();
    t.text('origin').nullable();
    t.text('summary').notNullable();
    t.jsonb('changes').nullable();
    t.text('workflow_id').nullable();
    t.index(['record_type', 'record_id', 'id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'record_history',
    'sync_run_logs',
    'sync_runs',
    'pull_watermarks',
    'integrations',
    'sync_links',
    'configurations',
    'contacts',
    'locations',
    'organizations',
    'api_keys',
    'sessions',
    'users',
    'accounts',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
}
