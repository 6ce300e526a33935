/**
 * Optional persistence of the simulated data (`--state-file`), so a developer stack that restarts keeps
 * the BMS side consistent with what the sync already stored. Only data is kept: tokens, faults,
 * counters and violations start fresh. Writes go to a temporary file first and are renamed into place,
 * so a crash never leaves half a file.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { SimulatorState } from './state';
import type { StoreSnapshot } from './store';

const FORMAT_VERSION = 1;

interface StateFile {
  formatVersion: number;
  tenant: string;
  savedAt: string;
  store: StoreSnapshot;
}

export class StateFileError extends Error {
  override readonly name = 'StateFileError';
}

/** Loads the file into the simulator; false when there is no file yet. */
export function loadStateFile(sim: SimulatorState, file: string): boolean {
  if (!fs.existsSync(file)) return false;
  let parsed: StateFile;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as StateFile;
  } catch (err) {
    throw new StateFileError(`simulator state file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (parsed.formatVersion !== FORMAT_VERSION || typeof parsed.store !== 'object') {
    throw new StateFileError(`simulator state file ${file} has an unknown format (delete it to start from the seed)`);
  }
  sim.store.restore(parsed.store);
  return true;
}

export async function saveStateFile(sim: SimulatorState, file: string): Promise<void> {
  const content: StateFile = {
    formatVersion: FORMAT_VERSION,
    tenant: sim.store.tenantName,
    savedAt: new Date().toISOString(),
    store: sim.store.snapshot(),
  };
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.promises.writeFile(tmp, JSON.stringify(content));
  await fs.promises.rename(tmp, file);
}

/** Saves whenever the data changed, at most once per interval, and once more on stop. */
export function startAutosave(sim: SimulatorState, file: string, intervalMs = 1000): { stop(): Promise<void> } {
  let savedVersion = sim.store.version;
  let saving: Promise<void> = Promise.resolve();
  const saveIfChanged = (): Promise<void> => {
    const version = sim.store.version;
    if (version === savedVersion) return saving;
    saving = saving
      .then(() => saveStateFile(sim, file))
      .then(() => {
        savedVersion = version;
      })
      .catch((err: unknown) => {
        sim.logger.error({ err, file }, 'could not save the simulator state');
      });
    return saving;
  };
  const timer = setInterval(() => void saveIfChanged(), intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await saveIfChanged();
    },
  };
}
