/**
 * Runs `bench/run.ts` as a child process in a temporary folder and reads back its JSON report, for the
 * bench's smoke tests. The child is stopped with SIGINT (the bench stops its stack on it) if a test ends
 * before it does.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

export class BenchChild {
  private dir: string | undefined;
  private child: ChildProcess | undefined;
  /** The last 20,000 characters the bench printed (stdout and stderr). */
  output = '';

  /** Runs the bench with `args` plus `--out <file>`; asserts it exits 0; returns the parsed report. */
  async run<T>(args: string[], what: string): Promise<T> {
    this.dir = mkdtempSync(path.join(os.tmpdir(), 'docsync-bench-test-'));
    const out = path.join(this.dir, 'report.json');
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench', 'run.ts'), ...args, '--out', out], {
      cwd: ROOT,
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-20_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 0, `${what} failed:\n${this.output}`);
    return JSON.parse(readFileSync(out, 'utf8')) as T;
  }

  /** Stops the child if it still runs, and removes the temporary folder. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGINT');
      await exited;
    }
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}
