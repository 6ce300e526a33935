/** Notification rules (domain/notifications.ts) and webhook signing (lib/notifications.ts), without a stack. */
import assert from 'node:assert/strict';
import { afterPullFailure, DIGEST_LIST_LIMIT, isConnectionFailure, isLate, pushDigestMessage } from '../../domain/notifications';
import { newWebhookSecret, signWebhook } from '../../lib/notifications';
import { verifyWebhook } from '../helpers/receivers';

describe('notification rules', () => {
  const fresh = { cause: null, streak: 0, lastRunId: null };

  it('the first failure of a streak is news; repeats with the same cause are not; the pause comes at the setting', () => {
    const one = afterPullFailure(fresh, 'run-1', 'BmsAuthError', 3);
    assert.deepEqual(one, { streak: { cause: 'BmsAuthError', streak: 1, lastRunId: 'run-1' }, notify: true, pause: false });
    const two = afterPullFailure(one.streak, 'run-2', 'BmsAuthError', 3);
    assert.deepEqual([two.streak.streak, two.notify, two.pause], [2, false, false]);
    const three = afterPullFailure(two.streak, 'run-3', 'BmsAuthError', 3);
    assert.deepEqual([three.streak.streak, three.notify, three.pause], [3, false, true]);
  });

  it('a different cause starts a new streak (news again); a retried step never counts its run twice', () => {
    const one = afterPullFailure(fresh, 'run-1', 'BmsAuthError', 3);
    const two = afterPullFailure(one.streak, 'run-2', 'BmsAuthError', 3);
    const again = afterPullFailure(two.streak, 'run-2', 'BmsAuthError', 3);
    assert.equal(again.streak.streak, 2);
    const other = afterPullFailure(two.streak, 'run-3', 'BmsNetworkError', 3);
    assert.deepEqual([other.streak.streak, other.notify, other.pause], [1, true, false]);
  });

  it('0 never pauses', () => {
    let state = afterPullFailure(fresh, 'run-0', 'BmsAuthError', 0);
    for (let i = 1; i < 10; i++) state = afterPullFailure(state.streak, `run-${i}`, 'BmsAuthError', 0);
    assert.equal(state.pause, false);
    assert.equal(state.streak.streak, 10);
  });

  it('connection failures: credentials refused, host unreachable or not allowed', () => {
    for (const cause of ['BmsAuthError', 'BmsNetworkError', 'BmsDestinationRefusedError', 'BmsPermissionError']) assert.ok(isConnectionFailure(cause), cause);
    for (const cause of ['BmsServerError', 'BmsValidationError', 'MappingError']) assert.ok(!isConnectionFailure(cause), cause);
  });

  it('a scheduled run more than 5 minutes after its time is late', () => {
    assert.equal(isLate('2026-01-01T10:00:00Z', '2026-01-01T10:04:59Z'), false);
    assert.equal(isLate('2026-01-01T10:00:00Z', '2026-01-01T10:05:01Z'), true);
  });

  it('a push digest lists the records by name up to its limit and counts the rest', () => {
    const items = Array.from({ length: DIGEST_LIST_LIMIT }, (_, i) => ({ recordType: 'contact', recordId: `id-${i}`, summary: 'Push refused: email required', at: '' }));
    const message = pushDigestMessage(items, 70);
    assert.equal(message.title, '70 records failed to push to Kaseya BMS');
    assert.equal(message.text.split('\n').filter((l) => l.startsWith('- contact')).length, DIGEST_LIST_LIMIT);
    assert.match(message.text, /… and 20 more$/);
    assert.equal(pushDigestMessage(items.slice(0, 1), 1).title, '1 record failed to push to Kaseya BMS');
  });
});

describe('webhook signatures', () => {
  const body = JSON.stringify({ id: 'd-1', kind: 'test' });

  it('v1= HMAC-SHA256 of "<timestamp>.<body>", verified by the documented receiver code', () => {
    const secret = newWebhookSecret();
    const now = Date.now();
    const timestamp = Math.floor(now / 1000);
    const signature = signWebhook(secret, timestamp, body);
    assert.match(signature, /^v1=[0-9a-f]{64}$/);
    assert.equal(verifyWebhook(secret, body, String(timestamp), signature, now), true);
    assert.equal(verifyWebhook(secret, `${body} `, String(timestamp), signature, now), false, 'another body');
    assert.equal(verifyWebhook(newWebhookSecret(), body, String(timestamp), signature, now), false, 'another secret');
    assert.equal(verifyWebhook(secret, body, String(timestamp + 1), signature, now), false, 'another timestamp');
  });

  it('a receiver refuses a replay older than 5 minutes', () => {
    const secret = newWebhookSecret();
    const old = Math.floor(Date.now() / 1000) - 301;
    assert.equal(verifyWebhook(secret, body, String(old), signWebhook(secret, old, body)), false);
  });
});
