/** The web UI build: bundled, hashed assets, an index.html without inline code, a stamp of its inputs. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildWeb, webInputsHash } from '../../web/build';

describe('web UI build', function () {
  this.timeout(60_000);
  const parent = mkdtempSync(path.join(os.tmpdir(), 'docsync-web-'));
  after(() => rmSync(parent, { recursive: true, force: true }));

  it('bundles the app into hashed assets loaded by an index.html with no inline script or style', async () => {
    const outDir = path.join(parent, 'dist');
    const result = await buildWeb({ outDir });
    assert.equal(result.built, true);
    const html = readFileSync(path.join(outDir, 'index.html'), 'utf8');
    const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    assert.equal(assets.length, 2, 'one script, one stylesheet');
    for (const asset of assets) {
      assert.match(asset, /-[A-Z0-9]{8}\.(js|css)$/, 'hashed names, cached for good');
      assert.ok(existsSync(path.join(outDir, asset)), asset);
    }
    assert.doesNotMatch(html, /<script>|<style|\sstyle=|\son[a-z]+=/i);
    assert.doesNotMatch(html, /https?:\/\//, 'nothing from another origin');
    const js = readFileSync(path.join(outDir, assets.find((a) => a.endsWith('.js'))!), 'utf8');
    assert.doesNotMatch(js, /\bnew Function\(|\beval\(/, 'no eval: the CSP forbids it');
    assert.equal(readFileSync(path.join(outDir, '.build-stamp'), 'utf8'), webInputsHash());
    assert.deepEqual(readdirSync(parent), ['dist'], 'the temporary build folder is gone');
  });
});
