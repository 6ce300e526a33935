/**
 * The data folder of an embedded run holds database files, a generated database password and the key that
 * encrypts BMS passwords: it and its files are for the user who runs the service only.
 */
import { chmodSync, existsSync, mkdirSync } from 'node:fs';

/** Creates `dir` if missing and takes every permission from others beyond `mode`. */
export function makePrivateDir(dir: string, mode = 0o700): void {
  mkdirSync(dir, { recursive: true, mode });
  chmodSync(dir, mode);
}

/** Makes those of `files` that exist readable and writable by their owner only. */
export function makePrivateFiles(files: string[]): void {
  for (const file of files) if (existsSync(file)) chmodSync(file, 0o600);
}
