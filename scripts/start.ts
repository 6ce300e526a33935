/**
 * `npm start`: everything on embedded defaults. PostgreSQL (embedded unless DATABASE_URL), migrations, the
 * Temporal dev server (unless TEMPORAL_ADDRESS), the BMS simulator with demo data (unless BMS_API_URL),
 * the worker and the API; prints the URLs and the demo administrator. Ctrl-C stops it all cleanly;
 * data stays in the data folder for the next start.
 */
import path from 'node:path';
import { loadConfig } from '../config';
import { createDb, migrateLatest } from '../db';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../devstack/postgres';
import { makePrivateDir } from '../devstack/private-files';
import { ServiceProcess } from '../devstack/service-process';
import { findTemporalCli } from '../devstack/temporal-cli';
import { TemporalDevServer } from '../devstack/temporal-server';
import { answers, waitFor } from '../devstack/wait';
import { createLogger } from '../lib/logger';
import { loadSecretBox } from '../lib/secrets';
import { connectClient } from '../lib/temporal';
import { ensureWebBuild } from '../web/build';
import { buildWorkflowBundleFile } from '../worker/bundle';
import { ensureDemoAccount } from './demo-account';

const DEFAULT_SIMULATOR_CREDENTIALS = { tenant: 'Demo MSP', username: 'api.user', password: 'demo-password' };

/**
 * How long the embedded Temporal dev server keeps closed workflows, as a cluster set up by
 * `npm run stack:cluster` does (docs/operations.md, "Retention").
 */
const DEV_NAMESPACE_RETENTION_DAYS = 3;


async function main(): Promise<void> {
  process.env.LOG_FORMAT ??= 'pretty';
  let config = loadConfig();
  if (!config.demoBms) {
    // The simulator answers plain http on a local address, which the outbound policy refuses unless told.
    process.env.BMS_ALLOWED_HOSTS = [process.env.BMS_ALLOWED_HOSTS, `http://${config.simulator.host}`]
      .filter(Boolean)
      .join(',');
    config = loadConfig();
  }
  const logger = createLogger('start', config.logLevel, config.logFormat);
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((err: unknown) => logger.error({ err }, 'stop failed'));
  };
  let stopping = false;
  const onSignal = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    void stopAll().then(() => process.exit(0));
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));

  try {
    makePrivateDir(config.dataDir);
    // PostgreSQL
    let databaseUrl = config.database.url;
    if (!databaseUrl) {
      const pg: EmbeddedPostgresHandle = await startEmbeddedPostgres({
        dataDir: config.dataDir,
        port: config.database.embeddedPort,
        log: (line) => logger.warn(line),
      });
      stops.push(() => pg.stop());
      databaseUrl = pg.url;
      logger.info({ port: config.database.embeddedPort }, 'embedded PostgreSQL running');
    }
    const db = createDb({ url: databaseUrl });
    stops.push(() => db.destroy());
    const applied = await migrateLatest(db);
    if (applied.length) logger.info({ applied }, 'database migrated');

    // Temporal
    let temporalUi = config.temporal.uiUrl;
    if (!process.env.TEMPORAL_ADDRESS) {
      const cli = await findTemporalCli({ log: (line) => logger.info(line) });
      const [host, port] = config.temporal.address.split(':');
      const uiPort = Number(new URL(config.temporal.uiUrl).port || 8233);
      const server = new TemporalDevServer({
        cliPath: cli,
        ip: host,
        port: Number(port),
        uiPort,
        dbFile: path.join(config.dataDir, 'temporal.db'),
        logFile: path.join(config.dataDir, 'temporal.log'),
        retentionDays: DEV_NAMESPACE_RETENTION_DAYS,
      });
      await server.start();
      stops.push(() => server.stop());
      temporalUi = server.uiUrl ?? temporalUi;
      logger.info({ address: server.address }, 'Temporal dev server running');
    }
    const temporal = await connectClient(config.temporal);
    stops.push(() => temporal.connection.close());

    const childEnv: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: databaseUrl, LOG_FORMAT: config.logFormat };

    // Kaseya BMS: the configured one, or the simulator with demo data.
    let bms = config.demoBms;
    if (!bms) {
      const simulator = new ServiceProcess('simulator', path.join(__dirname, '..', 'simulator', 'main.ts'), childEnv, {
        args: [
          '--host',
          config.simulator.host,
          '--port',
          String(config.simulator.port),
          '--seed',
          'demo',
          '--state-file',
          path.join(config.dataDir, 'simulator-state.json'),
        ],
      });
      simulator.start();
      stops.push(() => simulator.stop());
      const simUrl = `http://${config.simulator.host}:${config.simulator.port}`;
      await waitFor(() => answers(`${simUrl}/_sim/counts`), { timeoutMs: 30_000, what: 'the BMS simulator' });
      bms = { apiUrl: simUrl, v1Url: simUrl, ...DEFAULT_SIMULATOR_CREDENTIALS };
      logger.info({ url: simUrl }, 'Kaseya BMS simulator running');
    }

    // Built here, in a short-lived process, so the worker never holds the bundler's memory.
    const bundle = await buildWorkflowBundleFile(path.join(config.dataDir, 'workflow-bundle.js'));
    const worker = new ServiceProcess('worker', path.join(__dirname, '..', 'worker', 'main.ts'), {
      ...childEnv,
      WORKFLOW_BUNDLE_PATH: bundle,
    });
    worker.start();
    stops.push(() => worker.stop(30_000));
    // The API serves the web UI from web/dist: build it when missing or stale.
    const web = await ensureWebBuild();
    if (web.built) logger.info({ ms: web.ms }, 'web UI built');
    const api = new ServiceProcess('api', path.join(__dirname, '..', 'api', 'main.ts'), childEnv);
    api.start();
    stops.push(() => api.stop());
    await waitFor(() => answers(`${config.api.publicUrl}/api/v1/health`), { timeoutMs: 60_000, what: 'the API' });

    const credentials = await ensureDemoAccount(
      { db, temporal, config, secrets: loadSecretBox(config.secretKey, config.dataDir), logger },
      bms,
    );

    const lines = [
      '',
      'bms-docsync is running',
      `  App / API        ${config.api.publicUrl}   (web UI; API under /api/v1)`,
      `  Temporal Web UI  ${temporalUi}`,
      `  Kaseya BMS       ${bms.apiUrl}${config.demoBms ? '' : '   (simulator, demo data)'}`,
      `  Log in as        ${credentials.email}  /  ${credentials.password}`,
      '  Stop with Ctrl-C; data is kept in the data folder.',
      '',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } catch (err) {
    logger.fatal({ err }, 'start failed');
    await stopAll();
    process.exit(1);
  }
}

void main();
