/**
 * A whole bms-docsync stack for one test file, on the shared real Temporal server and PostgreSQL: a BMS
 * simulator over HTTP, the worker (own task queues) and the API (own port), an account with an
 * administrator logged in, connected to the simulator.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { Client } from '@temporalio/client';
import { createApp } from '../../api/app';
import { type Config, loadConfig } from '../../config';
import { createRateBudget } from '../../db/rate-budget';
import { createLogger } from '../../lib/logger';
import { SecretBox } from '../../lib/secrets';
import { connectClient, deletePullSchedule } from '../../lib/temporal';
import type { Plan, Role } from '../../domain/access';
import { createAccount, createApiKey, createUser, login } from '../../services/accounts';
import { createSimulator, type SimulatorHandle, type SimulatorOptions } from '../../simulator';
import { type RunningWorkers, startWorkers } from '../../worker/worker';
import { ensureWebBuild } from '../../web/build';
import { HttpClient } from './api-client';
import { type SharedEnv, sharedEnv } from './env';
import { waitForIdlePulls } from './sync';

export interface StackOptions {
  simulator?: Partial<SimulatorOptions>;
  plan?: Plan;
  /** Connect the account to the simulator (default true). */
  connect?: boolean;
  twoWay?: boolean;
  settings?: Record<string, unknown>;
  pushIdleTimeoutMs?: number;
  /** Extra environment for the stack's configuration (e.g. BMS rate budget). */
  env?: Record<string, string>;
  /** Run the worker in this process (default true); false when a test runs worker processes itself. */
  worker?: boolean;
  /** Write the stack's logs (API and worker, every level) to this file. */
  logFile?: string;
}

export interface Stack {
  env: SharedEnv;
  config: Config;
  /** Environment that makes a separate process (e.g. `worker/main.ts`) part of this stack. */
  processEnv: NodeJS.ProcessEnv;
  temporal: Client;
  sim: SimulatorHandle;
  /** The simulator's admin routes (`/_sim/...`). */
  simAdmin: HttpClient;
  accountId: string;
  /** The API, logged in as the account's administrator (a session: its saves are UI saves). */
  admin: HttpClient;
  /** The API with no credentials. */
  anonymous: HttpClient;
  apiUrl: string;
  /** A user of `role` in this account, logged in. */
  userWithRole(role: Role): Promise<HttpClient>;
  /** An API key of this account (its writes are API writes). */
  apiKey(role?: Role): Promise<HttpClient>;
  /** Starts a second, unconnected account in the same stack. */
  otherAccount(plan?: Plan): Promise<{ accountId: string; admin: HttpClient }>;
  stop(): Promise<void>;
}

export const SIM_CREDENTIALS = { tenant: 'Demo MSP', username: 'api.user', password: 'demo-password' };
/** The simulator answers plain http on loopback: the outbound destination policy is told so. */
export const SIMULATOR_ALLOWED_HOSTS = 'http://127.0.0.1';

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const env = await sharedEnv();
  const prefix = `test-${randomBytes(4).toString('hex')}`;
  const config = loadConfig({
    DATABASE_URL: env.databaseUrl,
    TEMPORAL_ADDRESS: env.temporalAddress,
    TEMPORAL_TASK_QUEUE_PREFIX: prefix,
    DATA_DIR: env.tmpDir,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    BMS_REQUEST_TIMEOUT_MS: '5000',
    BMS_RATE_LIMIT_PER_WINDOW: '0',
    BMS_ALLOWED_HOSTS: SIMULATOR_ALLOWED_HOSTS,
    WORKER_SHUTDOWN_GRACE_SECONDS: '2',
    ...options.env,
  });
  const logger = options.logFile ? createLogger(prefix, 'trace', 'json', options.logFile) : createLogger(prefix, config.logLevel, 'json');
  const secretKey = `test-secret-${prefix}`;
  const secrets = new SecretBox(secretKey);
  const db = env.db;
  const temporal = await connectClient(config.temporal);
  const sim = await createSimulator({ port: 0, seed: 'demo', ...options.simulator });
  const simAdmin = new HttpClient(sim.url);
  const pushIdleTimeoutMs = options.pushIdleTimeoutMs ?? 5_000;

  const workers: RunningWorkers | undefined = options.worker === false ? undefined : await startWorkers({
    config,
    db,
    secrets,
    temporal,
    logger,
    budget: createRateBudget(db, config.bms),
    workflowBundle: env.workflowBundle,
    pushIdleTimeoutMs,
  });
  // The API serves the web UI; build it when missing or stale (once per test process).
  await ensureWebBuild();
  const app = createApp({ config, db, temporal, secrets, logger, pushIdleTimeoutMs });
  const server: Server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const apiUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const anonymous = new HttpClient(apiUrl);

  async function newAccount(plan: Plan) {
    const account = await createAccount(db, { name: `Test MSP ${prefix}`, plan });
    const email = `admin-${account.id}@test.example`;
    await createUser(db, { accountId: account.id, email, name: 'Test Admin', role: 'administrator', password: 'admin-password' });
    const session = await login(db, email, 'admin-password');
    return { accountId: account.id, admin: anonymous.withToken(session!.token) };
  }

  const { accountId, admin } = await newAccount(options.plan ?? 'enterprise');
  const accounts = [accountId];

  if (options.connect !== false) {
    const res = await admin.put('/api/v1/integrations/kaseya-bms', { apiUrl: sim.url, v1Url: sim.url, ...SIM_CREDENTIALS });
    if (res.status !== 200) throw new Error(`connect failed: ${res.status} ${JSON.stringify(res.body)}`);
    if (options.twoWay || options.settings) {
      const res2 = await admin.patch('/api/v1/integrations/kaseya-bms/sync-settings', {
        twoWayEnabled: options.twoWay,
        settings: options.settings,
      });
      if (res2.status !== 200) throw new Error(`settings failed: ${res2.status} ${JSON.stringify(res2.body)}`);
    }
    // Connecting starts the first pull at once; tests begin once it has settled (when a worker runs here).
    if (workers) await waitForIdlePulls(admin);
  }

  let users = 0;
  return {
    env,
    config,
    processEnv: {
      ...process.env,
      DATABASE_URL: env.databaseUrl,
      TEMPORAL_ADDRESS: env.temporalAddress,
      TEMPORAL_TASK_QUEUE_PREFIX: prefix,
      DATA_DIR: env.tmpDir,
      SECRET_KEY: secretKey,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
      BMS_REQUEST_TIMEOUT_MS: String(config.bms.requestTimeoutMs),
      BMS_RATE_LIMIT_PER_WINDOW: String(config.bms.rateLimitPerWindow),
      BMS_RATE_WINDOW_SECONDS: String(config.bms.rateWindowSeconds),
      BMS_ALLOWED_HOSTS: SIMULATOR_ALLOWED_HOSTS,
      ...options.env,
    },
    temporal,
    sim,
    simAdmin,
    accountId,
    admin,
    anonymous,
    apiUrl,
    async userWithRole(role) {
      const email = `${role}-${++users}-${accountId}@test.example`;
      await createUser(db, { accountId, email, name: `Test ${role}`, role, password: 'user-password' });
      const session = await login(db, email, 'user-password');
      return anonymous.withToken(session!.token);
    },
    async apiKey(role = 'editor') {
      const { key } = await createApiKey(db, { accountId, name: `key ${role}`, role, createdBy: null });
      return anonymous.withToken(key);
    },
    async otherAccount(plan = 'enterprise') {
      const other = await newAccount(plan);
      accounts.push(other.accountId);
      return other;
    },
    async stop() {
      server.closeAllConnections();
      server.close();
      await workers?.shutdown();
      for (const id of accounts) await deletePullSchedule(temporal, id).catch(() => undefined);
      await temporal.connection.close();
      await sim.close();
    },
  };
}
