import assert from 'node:assert/strict';
import {
  canTransition,
  InvalidTransitionError,
  MESSAGE_NOT_YET_PUSHED,
  MESSAGE_QUEUED,
  orphaning,
  SYNC_STATES,
  syncMessage,
  transition,
} from '../../domain/sync-state';

describe('sync state machine', () => {
  it('queues a save and settles on success or failure', () => {
    assert.equal(transition('not_pushed', 'push_requested'), 'queued');
    assert.equal(transition('queued', 'push_succeeded'), 'synced');
    assert.equal(transition('queued', 'push_failed'), 'failed');
    assert.equal(transition('failed', 'push_requested'), 'queued');
  });

  it('refuses transitions that are not declared', () => {
    assert.throws(() => transition('disabled', 'push_requested'), InvalidTransitionError);
    assert.throws(() => transition('disabled', 'pulled'), InvalidTransitionError);
    assert.equal(canTransition('orphaned', 'sync_enabled'), false);
  });

  it('lets a person disable sync from any state and re-enable it', () => {
    for (const state of SYNC_STATES) assert.equal(transition(state, 'sync_disabled'), 'disabled');
    assert.equal(transition('disabled', 'sync_enabled'), 'not_pushed');
  });

  it('shows the R5 texts verbatim', () => {
    assert.equal(
      syncMessage({ state: 'not_pushed', twoWayEnabled: true, integrationConnected: true }),
      'Record not yet pushed to Kaseya BMS. To trigger a push, try updating the record.',
    );
    assert.equal(MESSAGE_NOT_YET_PUSHED, 'Record not yet pushed to Kaseya BMS. To trigger a push, try updating the record.');
    assert.equal(syncMessage({ state: 'queued', twoWayEnabled: true, integrationConnected: true }), MESSAGE_QUEUED);
    assert.equal(MESSAGE_QUEUED, 'Queued for push to Kaseya BMS');
  });

  it('orphans only a live link, with the reason kept on it and in its history line', () => {
    for (const state of SYNC_STATES) {
      const o = orphaning({ bmsId: 7, state }, 'the account no longer exists in Kaseya BMS');
      if (state === 'orphaned' || state === 'disabled') assert.equal(o, null, state);
      else assert.deepEqual(o, { state: 'orphaned', reason: 'the account no longer exists in Kaseya BMS', summary: 'Orphaned: the account no longer exists in Kaseya BMS' });
    }
    assert.equal(orphaning({ bmsId: null, state: 'synced' }, 'gone'), null);
    assert.equal(orphaning(undefined, 'gone'), null);
  });
});
