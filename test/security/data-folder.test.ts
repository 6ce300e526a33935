/**
 * What an embedded run (`npm start`) keeps in its data folder is private: the folder, the Temporal
 * SQLite and log files, and the generated PostgreSQL password that replaces the old fixed one.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../devstack/postgres';
import { sharedEnv } from '../helpers/env';
import getPort from '../helpers/ports';

function modeOf(file: string): number {
  return statSync(file).mode & 0o777;
}

async function loginError(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  } finally {
    await client.end().catch(() => undefined);
  }
}

describe('embedded data folder', function () {
  this.timeout(180_000);

  it('keeps the Temporal dev server SQLite and log files readable by their owner only', async () => {
    const env = await sharedEnv();
    for (const file of ['temporal.db', 'temporal.log']) assert.equal(modeOf(path.join(env.tmpDir, file)).toString(8), '600', file);
  });

  describe('embedded PostgreSQL', () => {
    let dataDir: string;
    before(() => {
      dataDir = mkdtempSync(path.join(os.tmpdir(), 'docsync-pg-'));
      // As a folder made by hand or by an older version may be: open to everyone.
      chmodSync(dataDir, 0o755);
    });
    after(() => rmSync(dataDir, { recursive: true, force: true }));

    it('generates its password into a private file, and moves a folder made with the old fixed password onto one', async () => {
      const port = await getPort();
      const passwordFile = path.join(dataDir, 'postgres.password');
      const legacyUrl = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;

      const first = await startEmbeddedPostgres({ dataDir, port });
      try {
        assert.equal(modeOf(passwordFile).toString(8), '600');
        const password = readFileSync(passwordFile, 'utf8').trim();
        assert.ok(password.length >= 24 && password !== 'postgres');
        assert.ok(first.url.includes(encodeURIComponent(password)));
        // Only the owner (and, when run as root, PostgreSQL's own system user passing through) gets in.
        assert.equal(modeOf(dataDir) & 0o066, 0, `data folder mode ${modeOf(dataDir).toString(8)}`);
        assert.equal(await loginError(first.url), undefined);
        assert.equal(await loginError(legacyUrl), '28P01', 'the old fixed password no longer works');
        // Turn the folder into one made before passwords were generated.
        const client = new pg.Client({ connectionString: first.url });
        await client.connect();
        await client.query("ALTER ROLE postgres WITH PASSWORD 'postgres'");
        await client.end();
      } finally {
        await first.stop();
      }
      unlinkSync(passwordFile);

      const second = await startEmbeddedPostgres({ dataDir, port });
      try {
        assert.ok(existsSync(passwordFile));
        assert.equal(modeOf(passwordFile).toString(8), '600');
        assert.equal(await loginError(second.url), undefined, 'the old folder starts, on its new password');
        assert.equal(await loginError(legacyUrl), '28P01', 'the old fixed password was changed');
      } finally {
        await second.stop();
      }
    });
  });
});
