/** Worker process entry: reads the configuration, connects, runs until SIGINT/SIGTERM, drains. */
import { DefaultLogger, makeTelemetryFilterString, Runtime } from '@temporalio/worker';
import { loadConfig } from '../config';
import { createDb, resolveDatabaseUrl } from '../db';
import { connectClient, ensureRetentionSchedule } from '../lib/temporal';
import { createLogger } from '../lib/logger';
import { loadSecretBox } from '../lib/secrets';
import { createRateBudget } from '../db/rate-budget';
import { autovacuumOff } from '../db/statistics';
import { hostPort, startMetricsServer } from '../lib/metrics';
import { workflowBundlePath } from './bundle';
import { startWorkers } from './worker';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger('worker', config.logLevel, config.logFormat);
  Runtime.install({
    logger: new DefaultLogger('WARN', (entry) => logger[entry.level === 'WARN' ? 'warn' : entry.level === 'ERROR' ? 'error' : 'info'](entry.meta ?? {}, entry.message)),
    telemetryOptions: {
      logging: { forward: {}, filter: makeTelemetryFilterString({ core: 'WARN' }) },
      // The SDK's own worker metrics (task slots, polls, latencies), served by its core on their own port.
      ...(config.metrics.temporalPort !== undefined
        ? { metrics: { prometheus: { bindAddress: hostPort(config.metrics.host, config.metrics.temporalPort), useSecondsForDurations: true } } }
        : {}),
    },
  });
  const metricsServer = config.metrics.workerPort !== undefined ? await startMetricsServer({ host: config.metrics.host, port: config.metrics.workerPort }) : undefined;
  if (metricsServer) logger.info({ url: metricsServer.url }, 'worker metrics listening');
  const db = createDb({ url: resolveDatabaseUrl(config), poolMax: config.database.poolMax });
  if (await autovacuumOff(db)) {
    logger.warn(
      'autovacuum is off on the PostgreSQL server: the sync tables are updated constantly, and without it their dead rows and planner statistics are never cleaned, so every query slows as they grow. Turn it on (docs/operations.md, "PostgreSQL")',
    );
  }
  const temporal = await connectClient(config.temporal);
  const workers = await startWorkers({
    workflowBundle: { codePath: await workflowBundlePath() },
    config,
    db,
    secrets: loadSecretBox(config.secretKey, config.dataDir),
    temporal,
    logger,
    budget: createRateBudget(db, config.bms),
  });
  await ensureRetentionSchedule(temporal, config.temporal.taskQueues.pull, config.retention.pruneEveryMs);
  logger.info({ taskQueues: config.temporal.taskQueues, temporal: config.temporal.address, retention: config.retention }, 'worker running');
  await workers.done;
  await metricsServer?.close();
  await temporal.connection.close();
  await db.destroy();
  logger.info('worker stopped');
}

main().catch((err: unknown) => {
  createLogger('worker').fatal({ err }, 'worker failed');
  process.exit(1);
});
