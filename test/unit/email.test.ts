/** The one normal form of an email, used by the login throttles' keys and the user lookup alike. */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { normalizeEmail } from '../../domain/email';

describe('normalizeEmail', () => {
  it('folds case, compatibility characters and surrounding space to one form', () => {
    assert.equal(normalizeEmail('  Ada.Lovelace@Example.COM '), 'ada.lovelace@example.com');
    assert.equal(normalizeEmail('ｉｄａ@ｅｘａｍｐｌｅ.ｃｏｍ'), 'ida@example.com');
    assert.equal(normalizeEmail('ﬁona@example.com'), 'fiona@example.com');
  });

  it('keeps İ apart from i, as the user lookup does', () => {
    assert.notEqual(normalizeEmail('İda@example.com'), normalizeEmail('ida@example.com'));
    assert.equal(normalizeEmail('İda@example.com'), normalizeEmail('i\u0307da@example.com'));
  });

  it('is idempotent: a normalised email normalises to itself', function () {
    this.timeout(30_000);
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => normalizeEmail(normalizeEmail(s)) === normalizeEmail(s)));
  });
});
