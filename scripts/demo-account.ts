/**
 * The demo account `npm start` creates on first run: an Enterprise account with an administrator whose
 * generated password is kept (owner-only) in the data folder, so every start can print it, connected to
 * the BMS simulator (or the configured BMS) with two-way sync on.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import type { Db } from '../db';
import type { Logger } from '../lib/logger';
import type { SecretBox } from '../lib/secrets';
import { createAccount, createUser } from '../services/accounts';
import { connect, updateSettings } from '../services/integration';
import { getIntegration } from '../db/integrations';

export interface DemoCredentials {
  accountId: string;
  email: string;
  password: string;
}

export interface BmsConnectionSettings {
  apiUrl: string;
  v1Url?: string | null;
  tenant: string;
  username: string;
  password: string;
}

export async function ensureDemoAccount(
  deps: { db: Db; temporal: Client; config: Config; secrets: SecretBox; logger: Logger },
  bms: BmsConnectionSettings,
): Promise<DemoCredentials> {
  const file = path.join(deps.config.dataDir, 'demo-credentials.json');
  let credentials: DemoCredentials | undefined;
  if (existsSync(file)) {
    credentials = JSON.parse(readFileSync(file, 'utf8')) as DemoCredentials;
    const account = (await deps.db('accounts').where({ id: credentials.accountId }).first('id')) as { id: string } | undefined;
    if (!account) credentials = undefined;
  }
  if (!credentials) {
    const account = await createAccount(deps.db, { name: 'Demo MSP', plan: 'enterprise' });
    const password = randomBytes(12).toString('base64url');
    const email = 'admin@demo.example';
    await createUser(deps.db, { accountId: account.id, email, name: 'Demo Administrator', role: 'administrator', password });
    credentials = { accountId: account.id, email, password };
    mkdirSync(deps.config.dataDir, { recursive: true });
    writeFileSync(file, JSON.stringify(credentials, null, 2), { mode: 0o600 });
  }
  if (!(await getIntegration(deps.db, credentials.accountId))) {
    await connect(deps, credentials.accountId, bms);
    await updateSettings(deps, credentials.accountId, { twoWayEnabled: true, settings: { pull: { intervalMinutes: 5 } } });
    deps.logger.info('demo account connected to Kaseya BMS with two-way sync on');
  }
  return credentials;
}
