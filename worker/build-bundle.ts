/**
 * Builds the workflow bundle into a file: `node worker/build-bundle.js <file>`. The worker runs this in a
 * child process, so webpack's memory is given back to the system instead of staying in the worker.
 */
import { writeFileSync } from 'node:fs';
import { buildWorkflowBundle } from './worker';

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file) throw new Error('usage: build-bundle <output file>');
  const bundle = await buildWorkflowBundle();
  writeFileSync(file, bundle.code);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
