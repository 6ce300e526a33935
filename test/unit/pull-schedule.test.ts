import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { pullOffsetSeconds, scheduleSpecFor } from '../../lib/temporal';
import { SyncSettingsSchema } from '../../domain/settings';

describe('pull Schedule spread', () => {
  it('gives each account a stable place inside its interval', () => {
    const id = randomUUID();
    const offset = pullOffsetSeconds(id, 5);
    assert.equal(pullOffsetSeconds(id, 5), offset);
    assert.ok(Number.isInteger(offset) && offset >= 0 && offset < 300);
  });

  it('spreads 500 accounts over a 5-minute interval instead of starting them together', () => {
    const perMinute = new Array<number>(5).fill(0);
    const seconds = new Set<number>();
    for (let i = 0; i < 500; i++) {
      const offset = pullOffsetSeconds(randomUUID(), 5);
      perMinute[Math.floor(offset / 60)]! += 1;
      seconds.add(offset);
    }
    // 100 expected per minute; a binomial(500, 0.2) stays within ±40 with overwhelming probability.
    for (const count of perMinute) assert.ok(count > 60 && count < 140, `per minute: ${perMinute.join(', ')}`);
    assert.ok(seconds.size > 150, `${seconds.size} distinct start seconds`);
  });

  it('puts the offset on interval Schedules and leaves cron expressions as written', () => {
    const id = randomUUID();
    const interval = SyncSettingsSchema.parse({ pull: { intervalMinutes: 5 } });
    assert.deepEqual(scheduleSpecFor(id, interval), {
      intervals: [{ every: '5 minutes', offset: `${pullOffsetSeconds(id, 5)} seconds` }],
    });
    const cron = SyncSettingsSchema.parse({ pull: { cron: '*/30 * * * *' } });
    assert.deepEqual(scheduleSpecFor(id, cron), { cronExpressions: ['*/30 * * * *'] });
  });
});
