/**
 * Finds the `temporal` CLI (which carries the full dev server) or installs it with `go install`.
 * Order: $TEMPORAL_CLI, PATH, $(go env GOPATH)/bin; then `go install` of the pinned version.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
export const TEMPORAL_CLI_VERSION = 'v1.5.1';

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

async function goBinDir(): Promise<string | undefined> {
  if (!onPath('go')) return undefined;
  const { stdout } = await run('go', ['env', 'GOBIN', 'GOPATH']);
  const [gobin, gopath] = stdout.split('\n').map((s) => s.trim());
  if (gobin) return gobin;
  const first = gopath?.split(path.delimiter)[0];
  return first ? path.join(first, 'bin') : undefined;
}

export interface FindCliOptions {
  /** Install with `go install` when not found (default true). */
  install?: boolean;
  log?: (line: string) => void;
}

export class TemporalCliNotFoundError extends Error {
  override readonly name = 'TemporalCliNotFoundError';
}

export async function findTemporalCli(options: FindCliOptions = {}): Promise<string> {
  const log = options.log ?? (() => undefined);
  const fromEnv = process.env.TEMPORAL_CLI;
  if (fromEnv) {
    if (isExecutable(fromEnv)) return fromEnv;
    throw new TemporalCliNotFoundError(`TEMPORAL_CLI=${fromEnv} is not an executable file`);
  }
  const found = onPath('temporal');
  if (found) return found;
  const binDir = await goBinDir();
  if (binDir && isExecutable(path.join(binDir, 'temporal'))) return path.join(binDir, 'temporal');

  if (options.install !== false && binDir) {
    log(`Temporal CLI not found; installing ${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION} with go install (a few minutes, once)`);
    await run('go', ['install', `${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}`], {
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, GOFLAGS: `${process.env.GOFLAGS ?? ''} -buildvcs=false`.trim() },
    });
    const installed = path.join(binDir, 'temporal');
    if (isExecutable(installed)) return installed;
  }
  throw new TemporalCliNotFoundError(
    [
      'The Temporal CLI (`temporal`) was not found.',
      `Install it with:  go install ${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}`,
      'or from https://docs.temporal.io/cli (e.g. `brew install temporal`), then put it on PATH or set TEMPORAL_CLI.',
      'To use an existing Temporal server instead, set TEMPORAL_ADDRESS.',
    ].join('\n'),
  );
}
