/** The retention settings: durations with a unit, their defaults, and refusals that name the variable. */
import assert from 'node:assert/strict';
import { ConfigError, loadConfig, parseDuration } from '../../config';

describe('retention settings', () => {
  it('default to 90 days kept, pruned every hour', () => {
    assert.deepEqual(loadConfig({}).retention, { periodMs: 90 * 86_400_000, pruneEveryMs: 3_600_000 });
    assert.deepEqual(loadConfig({ RETENTION_PERIOD: '', RETENTION_PRUNE_EVERY: ' ' }).retention, { periodMs: 90 * 86_400_000, pruneEveryMs: 3_600_000 });
  });

  it('read durations in seconds, minutes, hours or days', () => {
    assert.deepEqual(loadConfig({ RETENTION_PERIOD: '12h', RETENTION_PRUNE_EVERY: '10m' }).retention, { periodMs: 12 * 3_600_000, pruneEveryMs: 600_000 });
    assert.equal(parseDuration('30d'), 30 * 86_400_000);
    assert.equal(parseDuration('90s'), 90_000);
    for (const bad of ['90', 'd', '1.5d', '-1d', '0h', '1w', '10 days']) assert.equal(parseDuration(bad), undefined, bad);
  });

  it('refuse what is not a duration, or too short, naming the variable', () => {
    assert.throws(() => loadConfig({ RETENTION_PERIOD: '90' }), (err: unknown) => err instanceof ConfigError && /RETENTION_PERIOD: "90" is not a duration/.test(err.message));
    assert.throws(() => loadConfig({ RETENTION_PRUNE_EVERY: '1w' }), (err: unknown) => err instanceof ConfigError && /RETENTION_PRUNE_EVERY: "1w" is not a duration/.test(err.message));
    assert.throws(() => loadConfig({ RETENTION_PRUNE_EVERY: '30s' }), (err: unknown) => err instanceof ConfigError && /RETENTION_PRUNE_EVERY: "30s" is too short/.test(err.message));
  });
});
