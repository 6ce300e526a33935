/**
 * Where a worker process gets its workflow code: a prebuilt bundle file (WORKFLOW_BUNDLE_PATH, or built
 * by `npm start` before it starts the worker), or one built now in a short-lived child process. Either
 * way the worker itself never loads webpack, which would keep ~250 MB it no longer needs.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function buildWorkflowBundleFile(file?: string): Promise<string> {
  const out = file ?? path.join(mkdtempSync(path.join(os.tmpdir(), 'docsync-bundle-')), 'workflows.js');
  const script = path.join(__dirname, `build-bundle${path.extname(__filename)}`);
  // The same loader as this process (tsx in development, plain node for the compiled build).
  await run(process.execPath, [...process.execArgv, script, out], { maxBuffer: 16 * 1024 * 1024 });
  return out;
}

/** The bundle to run: WORKFLOW_BUNDLE_PATH when it exists, else a fresh build. */
export async function workflowBundlePath(): Promise<string> {
  const given = process.env.WORKFLOW_BUNDLE_PATH;
  if (given && existsSync(given)) return given;
  return buildWorkflowBundleFile(given || undefined);
}
