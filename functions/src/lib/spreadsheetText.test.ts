import { describe, expect, it } from 'vitest';
import { neutraliseFormula, spreadsheetCsvLine } from './spreadsheetText.ts';

describe('neutraliseFormula', () => {
  it.each([
    ['=HYPERLINK("http://x","y")', `'=HYPERLINK("http://x","y")`],
    ["=cmd|' /C calc'!A0", `'=cmd|' /C calc'!A0`],
    ['+SUM(1,1)', `'+SUM(1,1)`],
    ['-2+3', `'-2+3`],
    ['@SUM(A1)', `'@SUM(A1)`],
    ['\t=1+1', `'\t=1+1`],
    ['\r=1+1', `'\r=1+1`],
    ['plain', 'plain'],
    ['a=b', 'a=b'],
    ['', ''],
  ])('%j is shown as %j', (input, shown) => {
    expect(neutraliseFormula(input)).toBe(shown);
  });
});

describe('spreadsheetCsvLine', () => {
  it('neutralises, quotes and serialises each cell', () => {
    expect(spreadsheetCsvLine([7n, true, new Date('2026-01-02T03:04:05Z'), { n: 3n }])).toBe(
      '7,true,2026-01-02T03:04:05.000Z,"{""n"":""3""}"',
    );
    expect(spreadsheetCsvLine(['=1+1', 'a,b', 'say "hi"', null, 12, { a: 1 }])).toBe(
      `'=1+1,"a,b","say ""hi""",,12,"{""a"":1}"`,
    );
  });
});
