/** API process entry: serves until SIGINT/SIGTERM, then stops taking requests and closes cleanly. */
import { once } from 'node:events';
import { loadConfig } from '../config';
import { createDb, resolveDatabaseUrl } from '../db';
import { createLogger } from '../lib/logger';
import { loadSecretBox } from '../lib/secrets';
import { connectClient } from '../lib/temporal';
import { startMetricsServer } from '../lib/metrics';
import { exportOperationsGauges } from '../services/operations';
import { createApp } from './app';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger('api', config.logLevel, config.logFormat);
  const db = createDb({ url: resolveDatabaseUrl(config), poolMax: config.database.poolMax });
  const temporal = await connectClient(config.temporal);
  const app = createApp({ config, db, temporal, secrets: loadSecretBox(config.secretKey, config.dataDir), logger });
  const server = app.listen(config.api.port, config.api.host);
  await once(server, 'listening');
  logger.info({ url: config.api.publicUrl }, 'api listening');
  // The database gauges are exported by the API process only, so several workers never double them.
  exportOperationsGauges({ db, config });
  const metricsServer = config.metrics.apiPort !== undefined ? await startMetricsServer({ host: config.metrics.host, port: config.metrics.apiPort }) : undefined;
  if (metricsServer) logger.info({ url: metricsServer.url }, 'api metrics listening');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'api stopping');
    server.close(() => {
      void Promise.allSettled([temporal.connection.close(), db.destroy(), metricsServer?.close()]).then(() => process.exit(0));
    });
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 10_000).unref();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  createLogger('api').fatal({ err }, 'api failed to start');
  process.exit(1);
});
