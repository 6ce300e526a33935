import assert from 'node:assert/strict';
import { parseRetryAfter } from '../../bms/client';
import { dotnetCamelCase, normalizeKeys, parseBmsTime, readEnvelope, readProblemDetails } from '../../bms/wire';
import { shiftBmsTime } from '../../activities/pullers/puller';

describe('BMS wire format', () => {
  it('normalises keys the way .NET camelCases them', () => {
    const cases: Array<[string, string]> = [
      ['AccountName', 'accountName'],
      ['accountName', 'accountName'],
      ['DNSServers', 'dnsServers'],
      ['DHCPEnabled', 'dhcpEnabled'],
      ['IPAddress', 'ipAddress'],
      ['IsPoc', 'isPoc'],
      ['ID', 'id'],
      ['Address1', 'address1'],
    ];
    for (const [input, expected] of cases) assert.equal(dotnetCamelCase(input), expected, input);
  });

  it('reads PascalCase and camelCase envelopes alike', () => {
    const pascal = readEnvelope(normalizeKeys({ Success: true, Error: null, Result: [{ Id: 1, AccountName: 'A' }], TotalRecords: 1 }));
    const camel = readEnvelope(normalizeKeys({ success: true, error: null, result: [{ id: 1, accountName: 'A' }], totalRecords: 1 }));
    assert.deepEqual(pascal, camel);
    assert.deepEqual(pascal.result, [{ id: 1, accountName: 'A' }]);
    assert.equal(pascal.totalRecords, 1);
  });

  it('accepts a bare DTO where an envelope was expected', () => {
    const env = readEnvelope({ id: 5, accountName: 'Bare' });
    assert.equal(env.wrapped, false);
    assert.deepEqual(env.result, { id: 5, accountName: 'Bare' });
  });

  it('reads failures from the envelope and from problem details', () => {
    const env = readEnvelope(normalizeKeys({ Success: false, Error: { Code: 400, Message: 'Account name is required.', SubErrors: ['AccountName'] } }));
    assert.equal(env.success, false);
    assert.equal(env.error?.message, 'Account name is required.');
    assert.deepEqual(env.error?.subErrors, ['AccountName']);
    const problem = readProblemDetails({ title: 'One or more validation errors occurred.', status: 400, errors: { AccountName: ['Required'] } });
    assert.deepEqual(problem?.subErrors, ['AccountName: Required']);
  });

  it('reads BMS times with and without a zone as UTC', () => {
    assert.equal(parseBmsTime('2025-04-30T17:02:11'), Date.parse('2025-04-30T17:02:11Z'));
    assert.equal(parseBmsTime('2025-04-30T17:02:11.123Z'), Date.parse('2025-04-30T17:02:11.123Z'));
    assert.equal(parseBmsTime('2025-04-30T19:02:11+02:00'), Date.parse('2025-04-30T17:02:11Z'));
    assert.ok(Number.isNaN(parseBmsTime('not a date')));
  });

  it('shifts a watermark keeping the way BMS wrote it', () => {
    assert.equal(shiftBmsTime('2025-04-30T17:12:11.000', -10), '2025-04-30T17:02:11.000');
    assert.equal(shiftBmsTime('2025-04-30T17:12:11Z', -10), '2025-04-30T17:02:11Z');
  });

  it('reads Retry-After as seconds or a date', () => {
    assert.equal(parseRetryAfter('3'), 3000);
    assert.equal(parseRetryAfter(undefined), undefined);
    const inFuture = new Date(Date.now() + 5000).toUTCString();
    const ms = parseRetryAfter(inFuture)!;
    assert.ok(ms > 3000 && ms <= 5000, String(ms));
  });
});
