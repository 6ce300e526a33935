/** CSV exports: formula injection is neutralised; quoting, commas and line breaks survive a round trip. */
import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import { neutralizeFormula, toCsv } from '../../api/export';

describe('CSV export', () => {
  it('prefixes text cells a spreadsheet would run as a formula with a quote', () => {
    for (const hostile of ['=HYPERLINK("http://evil.example","x")', '+1+cmd|/C calc', '-2+3', '@SUM(A1)', '\t=1', '\r=1']) {
      assert.equal(neutralizeFormula(hostile), `'${hostile}`);
    }
    for (const plain of ['Acme Ltd', 'a=b', "'already", '', '1-2']) assert.equal(neutralizeFormula(plain), plain);
  });

  it('writes escaped, quoted cells that read back as the neutralised text', () => {
    const rows = [
      { name: '=cmd|" /C calc"!A0', note: 'line one\nline two, with "quotes"', n: 3 },
      { name: 'Plain', note: null, n: -1 },
    ];
    const csv = toCsv(
      [
        { header: 'name', value: (r: (typeof rows)[number]) => r.name },
        { header: 'note', value: (r: (typeof rows)[number]) => r.note },
        { header: 'n', value: (r: (typeof rows)[number]) => r.n },
      ],
      rows,
    );
    assert.ok(csv.startsWith('name,note,n\r\n'));
    const back = parse(csv, { columns: true }) as Array<Record<string, string>>;
    assert.equal(back[0]!.name, `'=cmd|" /C calc"!A0`);
    assert.equal(back[0]!.note, 'line one\nline two, with "quotes"');
    assert.equal(back[1]!.note, '');
    // Numbers the service writes are its own (counts, durations): they are not text and stay numbers.
    assert.equal(back[1]!.n, '-1');
  });
});
