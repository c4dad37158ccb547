import { describe, expect, it } from 'vitest';
import { LOOKUP_VALUE_MAX_CHARS, parseLookupCsv, writeLookupCsv } from './csv.js';

function problem(text: string): unknown {
  try {
    parseLookupCsv(text);
  } catch (err) {
    return { message: (err as Error).message, details: (err as { details?: unknown }).details };
  }
  return 'no problem';
}

describe('lookup table CSV', () => {
  it('reads a header and rows, in either column order, skipping blank lines and a BOM', () => {
    expect(parseLookupCsv('\ufeffleft,right\r\nGB,United Kingdom\r\n\r\nFR,France\n')).toEqual([
      { left: 'GB', right: 'United Kingdom' },
      { left: 'FR', right: 'France' },
    ]);
    expect(parseLookupCsv(' Right , LEFT\nUnited Kingdom,GB')).toEqual([{ left: 'GB', right: 'United Kingdom' }]);
    expect(parseLookupCsv('left,right\n')).toEqual([]);
  });

  it('reads quoted values with commas, doubled quotes and line breaks, and allows an empty right value', () => {
    expect(parseLookupCsv('left,right\n"a,b","say ""hi"""\n"multi\nline",\n')).toEqual([
      { left: 'a,b', right: 'say "hi"' },
      { left: 'multi\nline', right: '' },
    ]);
  });

  it('names the line of each kind of problem', () => {
    expect(problem('left,right\nGB,UK\nFR,France,extra\n')).toEqual({
      message: 'The CSV is invalid at line 3: expected 2 values (left and right), found 3.',
      details: { 'csv.line[3]': ['expected 2 values (left and right), found 3'] },
    });
    expect(problem('left,right\n"multi\nline",x\nGB,1\nGB,2')).toMatchObject({
      message: expect.stringContaining('line 5: the left value "GB" repeats line 4'),
    });
    expect(problem('left,right\nGB,"open\n')).toMatchObject({ message: expect.stringContaining('line 2: a quoted value is never closed') });
    expect(problem('left,right\nG"B,x')).toMatchObject({ message: expect.stringContaining('line 2: a quote inside an unquoted value') });
    expect(problem('left,right\n"GB"x,y')).toMatchObject({ message: expect.stringContaining('line 2: text after a closing quote') });
    expect(problem('left,right\n,x')).toMatchObject({ message: expect.stringContaining('line 2: the left value is empty') });
    expect(problem('code,name\nGB,x')).toMatchObject({
      message: expect.stringContaining('line 1: the header must name the two columns left and right'),
    });
    expect(problem('')).toMatchObject({ message: expect.stringContaining('line 1: the CSV is empty') });
    expect(problem(`left,right\nGB,${'x'.repeat(LOOKUP_VALUE_MAX_CHARS + 1)}`)).toMatchObject({
      message: expect.stringContaining('line 2: a value is longer'),
    });
  });

  it('writes what it reads back', () => {
    const rows = [
      { left: 'GB', right: 'United Kingdom' },
      { left: 'a,b', right: 'say "hi"' },
      { left: 'multi\nline', right: '' },
      { left: ' padded', right: 'x' },
    ];
    const csv = writeLookupCsv(rows);
    expect(csv.startsWith('left,right\r\nGB,United Kingdom\r\n"a,b","say ""hi"""\r\n')).toBe(true);
    expect(parseLookupCsv(csv)).toEqual(rows);
  });
});
