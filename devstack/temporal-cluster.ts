/**
 * A real Temporal server (not the dev server) for the product to run against, shaped like an operator's
 * cluster: PostgreSQL persistence and SQL visibility in two databases of their own, several history
 * shards, mTLS on every connection (frontend, internode, the server's own system worker) with
 * certificates generated for the run, the namespace and the product's search attributes registered
 * through the operator API. Used by `npm run stack:cluster` and the cluster tests.
 *
 * The server and its SQL schema tool are the `go.temporal.io/server` module's own binaries, found or
 * built with `go install` (order: $TEMPORAL_SERVER_BIN / $TEMPORAL_SQL_TOOL, then the version's own
 * folder under $(go env GOPATH)/bin, then `go install` into that folder).
 */
import 'reflect-metadata';
import { execFile, type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, webcrypto } from 'node:crypto';
import { accessSync, constants, createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import * as x509 from '@peculiar/x509';
import { Connection, type TLSConfig } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { msToTs } from '@temporalio/common/lib/time';
import { customSearchAttributes } from '../workflows/search-attributes';
import { createDatabaseIfMissing, dropDatabase } from './postgres';
import { makePrivateDir, makePrivateFiles } from './private-files';
import { PRODUCT_DYNAMIC_CONFIG } from './temporal-server';
import { GiveUpWaiting, waitFor } from './wait';

const run = promisify(execFile);

export const TEMPORAL_SERVER_MODULE = 'go.temporal.io/server';
export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
/** The schemas the SQL tool carries inside itself (`--schema-name`), for PostgreSQL 12 and later. */
const SCHEMAS = { temporal: 'postgresql/v12/temporal', visibility: 'postgresql/v12/visibility' } as const;
const SQL_PLUGIN = 'postgres12';

// ---------------------------------------------------------------------------------------------------------
// Finding or building the server and the schema tool

export interface ServerTools {
  server: string;
  sqlTool: string;
}

export class TemporalServerNotFoundError extends Error {
  override readonly name = 'TemporalServerNotFoundError';
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Where this version's binaries live: their own folder, so the generic names `server` and `sql` collide with nothing. */
async function toolsDir(): Promise<string | undefined> {
  try {
    const { stdout } = await run('go', ['env', 'GOPATH']);
    const first = stdout.trim().split(path.delimiter)[0];
    return first ? path.join(first, 'bin', `temporal-server-${TEMPORAL_SERVER_VERSION}`) : undefined;
  } catch {
    return undefined;
  }
}

export interface FindServerOptions {
  /** Build with `go install` when not found (default true). */
  install?: boolean;
  log?: (line: string) => void;
}

export async function findTemporalServerTools(options: FindServerOptions = {}): Promise<ServerTools> {
  const log = options.log ?? (() => undefined);
  const fromEnv = { server: process.env.TEMPORAL_SERVER_BIN, sqlTool: process.env.TEMPORAL_SQL_TOOL };
  for (const [name, file] of Object.entries(fromEnv)) {
    if (file && !isExecutable(file)) throw new TemporalServerNotFoundError(`${name === 'server' ? 'TEMPORAL_SERVER_BIN' : 'TEMPORAL_SQL_TOOL'}=${file} is not an executable file`);
  }
  const dir = await toolsDir();
  const inDir = (name: string) => (dir && isExecutable(path.join(dir, name)) ? path.join(dir, name) : undefined);
  const commands = { server: 'cmd/server', sqlTool: 'cmd/tools/sql' } as const;
  const binaries = { server: 'server', sqlTool: 'sql' } as const;
  const found: Partial<ServerTools> = {};
  for (const key of ['server', 'sqlTool'] as const) {
    found[key] = fromEnv[key] ?? inDir(binaries[key]);
    if (found[key] || options.install === false || !dir) continue;
    const pkg = `${TEMPORAL_SERVER_MODULE}/${commands[key]}@${TEMPORAL_SERVER_VERSION}`;
    log(`Temporal ${binaries[key] === 'server' ? 'server' : 'SQL schema tool'} not found; building ${pkg} with go install into ${dir} (several minutes, once per machine)`);
    const started = Date.now();
    await run('go', ['install', pkg], {
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, GOBIN: dir, GOFLAGS: `${process.env.GOFLAGS ?? ''} -buildvcs=false`.trim() },
    });
    log(`built ${pkg} in ${Math.round((Date.now() - started) / 1000)} s`);
    found[key] = inDir(binaries[key]);
  }
  if (found.server && found.sqlTool) return { server: found.server, sqlTool: found.sqlTool };
  throw new TemporalServerNotFoundError(
    [
      'The Temporal server and its SQL schema tool were not found.',
      `Build them with:  GOBIN=<dir> go install ${TEMPORAL_SERVER_MODULE}/cmd/server@${TEMPORAL_SERVER_VERSION} ${TEMPORAL_SERVER_MODULE}/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`,
      'then set TEMPORAL_SERVER_BIN and TEMPORAL_SQL_TOOL to the two binaries (or install Go, and this builds them).',
    ].join('\n'),
  );
}

// ---------------------------------------------------------------------------------------------------------
// Certificates for one run

export interface PemPair {
  cert: string;
  key: string;
}

export interface ClusterCertificates {
  ca: PemPair;
  /** The servers' certificate (127.0.0.1 and localhost), also their client certificate between themselves. */
  server: PemPair;
  /** What the product's processes present. */
  client: PemPair;
}

const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

async function pemKey(key: webcrypto.CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

function serial(): string {
  // Positive (high bit clear), 16 bytes.
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}

/** A certificate authority of its own (e.g. one that a cluster does not trust, for tests). */
export async function generateCa(commonName: string, days = 30): Promise<PemPair & { keys: webcrypto.CryptoKeyPair; certificate: x509.X509Certificate }> {
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const notBefore = new Date(Date.now() - 60 * 60_000);
  const notAfter = new Date(Date.now() + days * 86_400_000);
  const keys = await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${commonName}`,
    notBefore,
    notAfter,
    signingAlgorithm: SIGNING_ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: certificate.toString('pem'), key: await pemKey(keys.privateKey), keys, certificate };
}

/** A leaf certificate signed by `ca`: a server's (with its names) or a client's. */
export async function issueCertificate(
  ca: { keys: webcrypto.CryptoKeyPair; certificate: x509.X509Certificate },
  subject: { commonName: string; dnsNames?: string[]; ips?: string[]; usages: Array<'server' | 'client'> },
  days = 30,
): Promise<PemPair> {
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const keys = await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
  const names = [
    ...(subject.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(subject.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
    new x509.ExtendedKeyUsageExtension(subject.usages.map((u) => (u === 'server' ? SERVER_AUTH : CLIENT_AUTH)), false),
    await x509.AuthorityKeyIdentifierExtension.create(ca.certificate, false),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ];
  if (names.length) extensions.push(new x509.SubjectAlternativeNameExtension(names, false));
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${subject.commonName}`,
    issuer: ca.certificate.subject,
    notBefore: new Date(Date.now() - 60 * 60_000),
    notAfter: new Date(Date.now() + days * 86_400_000),
    signingAlgorithm: SIGNING_ALGORITHM,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    extensions,
  });
  return { cert: certificate.toString('pem'), key: await pemKey(keys.privateKey) };
}

/** A CA, a server certificate for 127.0.0.1 and localhost, and a client certificate, all made here, offline. */
export async function generateClusterCertificates(): Promise<ClusterCertificates> {
  const ca = await generateCa('bms-docsync Temporal cluster CA');
  const server = await issueCertificate(ca, {
    commonName: 'localhost',
    dnsNames: ['localhost'],
    ips: ['127.0.0.1'],
    usages: ['server', 'client'],
  });
  const client = await issueCertificate(ca, { commonName: 'bms-docsync', usages: ['client'] });
  return { ca: { cert: ca.cert, key: ca.key }, server, client };
}

// ---------------------------------------------------------------------------------------------------------
// The cluster

/** Whether `port` on 127.0.0.1 can be listened on now (0: any port the OS picks); resolves to the port or undefined. */
function tryPort(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => {
      const { port: bound } = server.address() as net.AddressInfo;
      server.close(() => resolve(bound));
    });
  });
}

/** A free TCP port on 127.0.0.1 (asked of the OS). */
async function freePort(): Promise<number> {
  const port = await tryPort(0);
  if (port === undefined) throw new Error('no free port');
  return port;
}

/**
 * A free port below 32768: the server stores membership ports in a PostgreSQL smallint, and the OS hands
 * out ephemeral ports above it.
 */
async function freeMembershipPort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = await tryPort(20_000 + Math.floor(Math.random() * 12_000));
    if (port !== undefined) return port;
  }
  throw new Error('no free port between 20000 and 32000');
}

export interface TemporalClusterOptions {
  tools: ServerTools;
  /** A PostgreSQL URL whose user may create databases; its host, port, user and password are the server's too. */
  postgresUrl: string;
  /** Folder for the config, the certificates (private) and the server's log. */
  dir: string;
  /** Names of the two databases (default `temporal` and `temporal_visibility`). */
  databases?: { temporal: string; visibility: string };
  /** Drop the two databases on stop (tests). */
  dropDatabasesOnStop?: boolean;
  namespace?: string;
  retentionDays?: number;
  numHistoryShards?: number;
  /** Frontend gRPC port (default: a free one). */
  frontendPort?: number;
  startTimeoutMs?: number;
  /** Dynamic config values (the product itself needs none beyond the server's defaults). */
  dynamicConfig?: Record<string, string | number | boolean>;
  log?: (line: string) => void;
}

/** Files and settings a client of this cluster needs; the product reads them from these variables. */
export interface ClusterClientEnv {
  TEMPORAL_ADDRESS: string;
  TEMPORAL_NAMESPACE: string;
  TEMPORAL_TLS_CA_PATH: string;
  TEMPORAL_TLS_CERT_PATH: string;
  TEMPORAL_TLS_KEY_PATH: string;
  TEMPORAL_TLS_SERVER_NAME: string;
}

export interface ClusterCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export class TemporalCluster {
  private child: ChildProcess | undefined;
  private exited: Promise<void> | undefined;
  private ports: Record<string, number> | undefined;
  /** Whether this run may have made its databases (what `dropDatabasesOnStop` drops). */
  private databasesTouched = false;
  readonly namespace: string;
  readonly databases: { temporal: string; visibility: string };
  readonly serverName = 'localhost';

  constructor(readonly options: TemporalClusterOptions) {
    this.namespace = options.namespace ?? 'default';
    this.databases = options.databases ?? { temporal: 'temporal', visibility: 'temporal_visibility' };
  }

  get address(): string {
    if (!this.ports) throw new Error('the cluster has not been prepared');
    return `127.0.0.1:${this.ports.frontend}`;
  }

  get certDir(): string {
    return path.join(this.options.dir, 'certs');
  }

  get logFile(): string {
    return path.join(this.options.dir, 'temporal-server.log');
  }

  /** The product's Temporal settings for this cluster (the files are written by `start`). */
  clientEnv(): ClusterClientEnv {
    return {
      TEMPORAL_ADDRESS: this.address,
      TEMPORAL_NAMESPACE: this.namespace,
      TEMPORAL_TLS_CA_PATH: path.join(this.certDir, 'ca.pem'),
      TEMPORAL_TLS_CERT_PATH: path.join(this.certDir, 'client.pem'),
      TEMPORAL_TLS_KEY_PATH: path.join(this.certDir, 'client.key'),
      TEMPORAL_TLS_SERVER_NAME: this.serverName,
    };
  }

  /** TLS options for `Connection.connect` with the client certificate. */
  async clientTls(): Promise<TLSConfig & { clientCertPair: { crt: Buffer; key: Buffer } }> {
    const env = this.clientEnv();
    return {
      serverNameOverride: this.serverName,
      serverRootCACertificate: await readFile(env.TEMPORAL_TLS_CA_PATH),
      clientCertPair: { crt: await readFile(env.TEMPORAL_TLS_CERT_PATH), key: await readFile(env.TEMPORAL_TLS_KEY_PATH) },
    };
  }

  /** Databases and schemas, certificates, config; then starts the server and registers the namespace and search attributes. */
  async start(): Promise<void> {
    const log = this.options.log ?? (() => undefined);
    makePrivateDir(this.options.dir);
    if (!this.ports) {
      await this.prepareDatabases();
      await this.writeCertificates();
      this.ports = {
        frontend: this.options.frontendPort ?? (await freePort()),
        frontendHttp: await freePort(),
        frontendMembership: await freeMembershipPort(),
        history: await freePort(),
        historyMembership: await freeMembershipPort(),
        matching: await freePort(),
        matchingMembership: await freeMembershipPort(),
        worker: await freePort(),
        workerMembership: await freeMembershipPort(),
      };
      this.writeConfig();
    }
    await this.spawnServer();
    log(`Temporal server answering over mTLS on ${this.address}`);
    await this.registerNamespace();
  }

  /** The two databases (made if missing) brought to the server's schema versions by its SQL tool. */
  private async prepareDatabases(): Promise<void> {
    const url = new URL(this.options.postgresUrl);
    const common = ['--plugin', SQL_PLUGIN, '--ep', url.hostname, '-p', url.port || '5432', '-u', decodeURIComponent(url.username || 'postgres')];
    // The password goes by environment, never on a command line others can read.
    const env = { ...process.env, SQL_PASSWORD: decodeURIComponent(url.password) };
    this.databasesTouched = true;
    for (const [kind, database] of Object.entries(this.databases) as Array<[keyof typeof SCHEMAS, string]>) {
      await createDatabaseIfMissing(this.options.postgresUrl, database);
      const sql = async (...args: string[]) => {
        try {
          await run(this.options.tools.sqlTool, [...common, '--db', database, ...args], { env, maxBuffer: 16 * 1024 * 1024 });
        } catch (err) {
          const e = err as { stderr?: string; stdout?: string; message: string };
          throw new Error(`temporal sql tool ${args[0]} on ${database} failed: ${e.message}\n${(e.stderr ?? '').slice(-2000)}`);
        }
      };
      // Both steps are idempotent: a database already set up is only brought up to date.
      await sql('setup-schema', '-v', '0.0');
      await sql('update-schema', '--schema-name', SCHEMAS[kind]);
    }
  }

  private async writeCertificates(): Promise<void> {
    const certs = await generateClusterCertificates();
    makePrivateDir(this.certDir);
    const files: Record<string, string> = {
      'ca.pem': certs.ca.cert,
      'server.pem': certs.server.cert,
      'server.key': certs.server.key,
      'client.pem': certs.client.cert,
      'client.key': certs.client.key,
    };
    // The CA's key is not kept: nothing else is ever signed with it.
    for (const [name, pem] of Object.entries(files)) writeFileSync(path.join(this.certDir, name), pem, { mode: 0o600 });
  }

  private writeConfig(): void {
    const p = this.ports!;
    const c = this.certDir;
    const url = new URL(this.options.postgresUrl);
    const configDir = path.join(this.options.dir, 'config');
    makePrivateDir(configDir);
    const dynamicConfigFile = path.join(configDir, 'dynamicconfig.yaml');
    const dynamicConfig = Object.entries({ ...PRODUCT_DYNAMIC_CONFIG, ...this.options.dynamicConfig }).map(([key, value]) => `${key}:\n  - value: ${JSON.stringify(value)}\n`);
    writeFileSync(dynamicConfigFile, dynamicConfig.join('') || '{}\n', { mode: 0o600 });
    const q = (s: string) => JSON.stringify(s);
    const store = (database: string, maxConns: number) => `      sql:
        pluginName: ${q(SQL_PLUGIN)}
        databaseName: ${q(database)}
        connectAddr: ${q(`${url.hostname}:${url.port || '5432'}`)}
        connectProtocol: "tcp"
        user: ${q(decodeURIComponent(url.username || 'postgres'))}
        password: '{{ env "TEMPORAL_SQL_PASSWORD" }}'
        maxConns: ${maxConns}
        maxIdleConns: ${maxConns}
        maxConnLifetime: "1h"`;
    const serverTls = `        server:
          certFile: ${q(path.join(c, 'server.pem'))}
          keyFile: ${q(path.join(c, 'server.key'))}
          requireClientAuth: true
          clientCaFiles: [${q(path.join(c, 'ca.pem'))}]
        client:
          serverName: ${q(this.serverName)}
          rootCaFiles: [${q(path.join(c, 'ca.pem'))}]`;
    const service = (grpc: number, membership: number, http?: number) => `    rpc:
      grpcPort: ${grpc}
      membershipPort: ${membership}
      bindOnLocalHost: true${http ? `\n      httpPort: ${http}` : ''}`;
    // The server renders this file as a template (first line), so the database password stays out of it.
    const config = `# enable-template
log:
  stdout: true
  level: warn

persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: ${this.options.numHistoryShards ?? 4}
  datastores:
    postgres-default:
${store(this.databases.temporal, 20)}
    postgres-visibility:
${store(this.databases.visibility, 10)}

global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: "127.0.0.1"
  tls:
    internode:
${serverTls}
    frontend:
${serverTls}
    systemWorker:
      certFile: ${q(path.join(c, 'server.pem'))}
      keyFile: ${q(path.join(c, 'server.key'))}
      client:
        serverName: ${q(this.serverName)}
        rootCaFiles: [${q(path.join(c, 'ca.pem'))}]

services:
  frontend:
${service(p.frontend!, p.frontendMembership!, p.frontendHttp)}
  history:
${service(p.history!, p.historyMembership!)}
  matching:
${service(p.matching!, p.matchingMembership!)}
  worker:
${service(p.worker!, p.workerMembership!)}

clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: "active"
  currentClusterName: "active"
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: "frontend"
      rpcAddress: ${q(`127.0.0.1:${p.frontend}`)}

dcRedirectionPolicy:
  policy: "noop"

dynamicConfigClient:
  filepath: ${q(dynamicConfigFile)}
  pollInterval: "10s"
`;
    writeFileSync(path.join(configDir, 'cluster.yaml'), config, { mode: 0o600 });
  }

  private async spawnServer(): Promise<void> {
    const url = new URL(this.options.postgresUrl);
    const args = ['--root', this.options.dir, '--config', 'config', '--env', 'cluster', '--allow-no-auth', 'start'];
    const child = spawn(this.options.tools.server, args, {
      cwd: this.options.dir,
      env: { ...process.env, TEMPORAL_SQL_PASSWORD: decodeURIComponent(url.password) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    let tail = '';
    const capture = (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-8000);
    };
    child.stdout?.on('data', capture);
    child.stderr?.on('data', capture);
    mkdirSync(path.dirname(this.logFile), { recursive: true, mode: 0o700 });
    makePrivateFiles([this.logFile]);
    const logStream = createWriteStream(this.logFile, { flags: 'a', mode: 0o600 });
    child.stdout?.pipe(logStream);
    child.stderr?.pipe(logStream);
    let exitCode: number | null | undefined;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code) => {
        exitCode = code;
        resolve();
      });
    });
    const tls = await this.clientTls();
    await waitFor(
      async () => {
        if (exitCode !== undefined) throw new GiveUpWaiting(`Temporal server exited with code ${exitCode}:\n${tail.slice(-4000)}`);
        let connection: Connection | undefined;
        try {
          connection = await Connection.connect({ address: this.address, tls, connectTimeout: 2000 });
          await connection.workflowService.getSystemInfo({});
          // The system namespace exists once the server has finished its own start.
          await connection.workflowService.describeNamespace({ namespace: 'temporal-system' });
          return true;
        } finally {
          await connection?.close().catch(() => undefined);
        }
      },
      { timeoutMs: this.options.startTimeoutMs ?? 120_000, intervalMs: 500, what: `Temporal server on ${this.address} (log: ${this.logFile})` },
    );
  }

  /** The namespace (if missing) with its retention, and the product's search attributes, visible to every frontend call. */
  private async registerNamespace(): Promise<void> {
    const connection = await Connection.connect({ address: this.address, tls: await this.clientTls() });
    try {
      const namespace = this.namespace;
      const describe = () => connection.workflowService.describeNamespace({ namespace });
      const exists = await describe().then(() => true, () => false);
      if (!exists) {
        try {
          await connection.workflowService.registerNamespace({
            namespace,
            description: 'bms-docsync',
            workflowExecutionRetentionPeriod: msToTs(`${this.options.retentionDays ?? 3} days`),
          });
        } catch (err) {
          // Another process registered it meanwhile.
          if ((err as { code?: number }).code !== 6) throw err;
        }
      }
      // The frontend serves a namespace from its cache, refreshed every few seconds.
      await waitFor(describe, { timeoutMs: 60_000, intervalMs: 500, what: `namespace ${namespace}` });
      const missing = async () => {
        const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
        return customSearchAttributes.filter((k) => customAttributes?.[k.name] === undefined);
      };
      // The operator API serves namespaces from its own cache, which catches up a little later.
      const toAdd = await waitFor(() => missing(), { timeoutMs: 60_000, intervalMs: 500, what: `namespace ${namespace} in the operator API` });
      if (toAdd.length) {
        await connection.operatorService.addSearchAttributes({
          namespace,
          searchAttributes: Object.fromEntries(toAdd.map((k) => [k.name, encodeSearchAttributeIndexedValueType(k.type)!])),
        });
      }
      await waitFor(async () => (await missing()).length === 0, { timeoutMs: 60_000, intervalMs: 500, what: 'the search attributes' });
      // A list query naming them is what the Temporal UI and the product's links run.
      const query = customSearchAttributes.map((k) => `${k.name} = "probe"`).join(' AND ');
      await waitFor(
        async () => {
          await connection.workflowService.listWorkflowExecutions({ namespace, query, pageSize: 1 });
          return true;
        },
        { timeoutMs: 60_000, intervalMs: 500, what: 'a list query on the search attributes' },
      );
    } finally {
      await connection.close();
    }
  }

  /**
   * What an operator's cluster must give the product, checked against this one: the persistence it runs
   * on, the namespace and its retention, the search attributes, and that only a client with a certificate
   * of the cluster's CA gets in.
   */
  async verify(): Promise<ClusterCheck[]> {
    const checks: ClusterCheck[] = [];
    const check = async (name: string, probe: () => Promise<string>) => {
      try {
        checks.push({ name, ok: true, detail: await probe() });
      } catch (err) {
        checks.push({ name, ok: false, detail: err instanceof Error ? err.message : String(err) });
      }
    };
    const connection = await Connection.connect({ address: this.address, tls: await this.clientTls() });
    try {
      await check('persistence and visibility on PostgreSQL, several history shards', async () => {
        const info = await connection.workflowService.getClusterInfo({});
        if (info.persistenceStore !== SQL_PLUGIN || info.visibilityStore !== SQL_PLUGIN || !(Number(info.historyShardCount) > 1)) {
          throw new Error(`persistence ${info.persistenceStore}, visibility ${info.visibilityStore}, ${info.historyShardCount} shards`);
        }
        return `server ${info.serverVersion}, persistence ${info.persistenceStore}, visibility ${info.visibilityStore}, ${info.historyShardCount} history shards`;
      });
      await check(`namespace ${this.namespace} with a retention`, async () => {
        const ns = await connection.workflowService.describeNamespace({ namespace: this.namespace });
        const seconds = Number(ns.config?.workflowExecutionRetentionTtl?.seconds ?? 0);
        if (!seconds) throw new Error('no retention');
        return `retention ${seconds / 86_400} days`;
      });
      await check('search attributes registered (Keyword)', async () => {
        const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: this.namespace });
        const wrong = customSearchAttributes.filter((k) => customAttributes?.[k.name] !== encodeSearchAttributeIndexedValueType(k.type));
        if (wrong.length) throw new Error(`missing or of another type: ${wrong.map((k) => k.name).join(', ')}`);
        return customSearchAttributes.map((k) => k.name).join(', ');
      });
    } finally {
      await connection.close();
    }
    // Each refusal is seen twice: by the SDK's client (it cannot call the server) and at the TLS layer
    // (the alert the server sends, so the refusal is known to be the certificate check, not a timeout).
    const refused = async (tls: TLSConfig | undefined) => {
      let other: Connection | undefined;
      try {
        other = await Connection.connect({ address: this.address, tls, connectTimeout: 3000 });
        await other.withDeadline(Date.now() + 3000, () => other!.workflowService.describeNamespace({ namespace: this.namespace }));
      } catch {
        return tls ? `refused: ${await this.tlsHandshake(tls.clientCertPair)}` : 'refused';
      } finally {
        await other?.close().catch(() => undefined);
      }
      throw new Error('it was let in');
    };
    const { serverNameOverride, serverRootCACertificate, clientCertPair } = await this.clientTls();
    await check('a client with the client certificate is let in', async () => {
      const outcome = await this.tlsHandshake(clientCertPair);
      if (outcome !== 'accepted') throw new Error(outcome);
      return outcome;
    });
    await check('a client without a client certificate is refused', () => refused({ serverNameOverride, serverRootCACertificate }));
    await check('a client whose certificate another CA signed is refused', async () => {
      const stranger = await generateCa('a CA the cluster does not trust');
      const cert = await issueCertificate(stranger, { commonName: 'stranger', usages: ['client'] });
      return refused({ serverNameOverride, serverRootCACertificate, clientCertPair: { crt: Buffer.from(cert.cert), key: Buffer.from(cert.key) } });
    });
    await check('a plain connection (no TLS) is refused', () => refused(undefined));
    return checks;
  }

  /**
   * A bare TLS handshake with the frontend, as an HTTP/2 client, presenting `pair` if given: 'accepted'
   * when the server answers, else the TLS error (e.g. the server's "certificate required" alert).
   */
  private async tlsHandshake(pair: { crt: Uint8Array; key: Uint8Array } | undefined): Promise<string> {
    const ca = await readFile(path.join(this.certDir, 'ca.pem'));
    const [host, port] = this.address.split(':');
    return new Promise((resolve) => {
      const socket = tls.connect({
        host,
        port: Number(port),
        ca,
        servername: this.serverName,
        cert: pair ? Buffer.from(pair.crt) : undefined,
        key: pair ? Buffer.from(pair.key) : undefined,
        ALPNProtocols: ['h2'],
      });
      const done = (outcome: string) => {
        clearTimeout(timer);
        socket.destroy();
        resolve(outcome);
      };
      const timer = setTimeout(() => done('no answer in 5 s'), 5000);
      // With TLS 1.3 the server checks the client's certificate after the client's side of the handshake:
      // its verdict comes with the first read.
      socket.once('secureConnect', () => socket.write('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'));
      socket.once('data', () => done('accepted'));
      socket.once('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
      socket.once('end', () => done('closed by the server'));
    });
  }

  /** The server process's id while it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /**
   * Stops the server process and starts it again on the same databases, certificates, config and ports,
   * as an operator's restart (or a crash, with `graceMs` 0) would; returns once it answers over mTLS.
   */
  async restart(graceMs = 15_000): Promise<void> {
    await this.stopProcess(graceMs);
    await this.start();
  }

  private async stopProcess(graceMs: number): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill(graceMs > 0 ? 'SIGTERM' : 'SIGKILL');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    this.child = undefined;
  }

  /** Stops the server (SIGTERM, then SIGKILL after `graceMs`); keeps its databases unless told to drop them. */
  async stop(graceMs = 15_000): Promise<void> {
    await this.stopProcess(graceMs);
    if (this.options.dropDatabasesOnStop && this.databasesTouched) {
      this.databasesTouched = false;
      for (const database of Object.values(this.databases)) await dropDatabase(this.options.postgresUrl, database);
    }
  }
}
