/**
 * Optional persistence of the simulated data (`--state-file`), so a developer stack that restarts keeps
 * the BMS side consistent with what the sync already stored. Every tenant's data is kept, with the
 * tenant's name, API user and current password; tokens, faults, counters and violations start fresh.
 * The default tenant is the one the start options name (its credentials come from them). Writes go to a
 * temporary file first and are renamed into place, so a crash never leaves half a file.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { SimulatorHub } from './state';
import type { StoreSnapshot } from './store';

/** 1: the default tenant only; 2: with `tenants`. */
const FORMAT_VERSION = 2;

interface SavedTenant {
  name: string;
  username: string;
  password: string;
  store: StoreSnapshot;
}

interface StateFile {
  formatVersion: number;
  tenant: string;
  savedAt: string;
  /** The default tenant's data. */
  store: StoreSnapshot;
  /** The other tenants (version 2). */
  tenants?: SavedTenant[];
}

export class StateFileError extends Error {
  override readonly name = 'StateFileError';
}

/** Loads the file into the simulator; false when there is no file yet. */
export function loadStateFile(hub: SimulatorHub, file: string): boolean {
  if (!fs.existsSync(file)) return false;
  let parsed: StateFile;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as StateFile;
  } catch (err) {
    throw new StateFileError(`simulator state file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  if ((parsed.formatVersion !== 1 && parsed.formatVersion !== FORMAT_VERSION) || typeof parsed.store !== 'object') {
    throw new StateFileError(`simulator state file ${file} has an unknown format (delete it to start from the seed)`);
  }
  hub.defaultTenant.store.restore(parsed.store);
  for (const saved of parsed.tenants ?? []) {
    if (hub.tenant(saved.name)) continue;
    const state = hub.addTenant({ tenant: saved.name, username: saved.username, password: saved.password, seed: 'none' });
    state.store.restore(saved.store);
  }
  return true;
}

export async function saveStateFile(hub: SimulatorHub, file: string): Promise<void> {
  const tenants: SavedTenant[] = [];
  for (const state of hub.tenants()) {
    if (state === hub.defaultTenant) continue;
    tenants.push({ name: state.name, username: state.auth.username, password: state.auth.password, store: state.store.snapshot() });
  }
  const content: StateFile = {
    formatVersion: FORMAT_VERSION,
    tenant: hub.defaultTenant.name,
    savedAt: new Date().toISOString(),
    store: hub.defaultTenant.store.snapshot(),
    tenants,
  };
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.promises.writeFile(tmp, JSON.stringify(content));
  await fs.promises.rename(tmp, file);
}

/** Saves whenever any tenant's data changed (or a tenant came or went), at most once per interval, and once more on stop. */
export function startAutosave(hub: SimulatorHub, file: string, intervalMs = 1000): { stop(): Promise<void> } {
  let savedVersion = hub.dataVersion;
  let saving: Promise<void> = Promise.resolve();
  const saveIfChanged = (): Promise<void> => {
    const version = hub.dataVersion;
    if (version === savedVersion) return saving;
    saving = saving
      .then(() => saveStateFile(hub, file))
      .then(() => {
        savedVersion = version;
      })
      .catch((err: unknown) => {
        hub.logger.error({ err, file }, 'could not save the simulator state');
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
