import assert from 'node:assert/strict';
import * as errors from '../../bms/errors';
import { PUSH_NON_RETRYABLE } from '../../workflows/record-push';

/** Every concrete error class the BMS library exports, with one instance to read its flags from. */
function bmsErrorInstances(): errors.BmsError[] {
  const out: errors.BmsError[] = [];
  for (const value of Object.values(errors)) {
    if (typeof value !== 'function' || !(value.prototype instanceof errors.BmsError)) continue;
    const ErrorClass = value as unknown as new (message: string, details: errors.BmsErrorDetails & { field: 'apiUrl' }) => errors.BmsError;
    out.push(new ErrorClass('x', { endpoint: 'GET /x', field: 'apiUrl' }));
  }
  return out;
}

describe('BMS errors: one list of what a retry cannot fix', () => {
  it('names exactly the error classes that say they are not retryable', () => {
    const instances = bmsErrorInstances();
    assert.ok(instances.length > 5);
    const final = instances.filter((e) => !e.retryable).map((e) => e.name);
    assert.deepEqual([...errors.NON_RETRYABLE_BMS_ERRORS].sort(), final.sort());
  });

  it('is what the push workflow treats as a refusal, plus the mapping error', () => {
    assert.deepEqual([...PUSH_NON_RETRYABLE].sort(), [...errors.NON_RETRYABLE_BMS_ERRORS, 'MappingError'].sort());
  });

  it('recognises BMS errors by shape, not other errors', () => {
    assert.equal(errors.isBmsError(new errors.BmsServerError('down', { endpoint: 'GET /x', status: 503 })), true);
    assert.equal(errors.isBmsError(new Error('plain')), false);
    assert.equal(errors.isBmsError({ retryable: true, endpoint: 'GET /x' }), false);
  });
});
