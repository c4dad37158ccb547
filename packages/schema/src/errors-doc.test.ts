import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from './errors.js';
import { ERRORS_DOC_PATH, renderErrorsDoc } from './errors-doc.js';

const repositoryRoot = new URL('../../../', import.meta.url);

describe('the error reference', () => {
  it('is up to date with ERROR_CODES (regenerate: npx tsc -b packages/schema && node scripts/gen-docs.mjs)', () => {
    const written = readFileSync(new URL(ERRORS_DOC_PATH, repositoryRoot), 'utf8');
    expect(written, `${ERRORS_DOC_PATH} is out of date; run npx tsc -b packages/schema && node scripts/gen-docs.mjs`).toBe(
      renderErrorsDoc(ERROR_CODES),
    );
  });

  it('has a row for every code with its status, kind and fix', () => {
    const doc = renderErrorsDoc(ERROR_CODES);
    for (const [code, info] of Object.entries(ERROR_CODES))
      expect(doc).toContain(`| \`${code}\` | ${info.status} | ${info.kind} | ${info.fix} |`);
  });

  it('keeps a pipe or a line break in a fix from breaking the table', () => {
    const doc = renderErrorsDoc({ ODD: { status: 400, kind: 'user', fix: 'Use a | b\nor c.' } });
    expect(doc).toContain('| `ODD` | 400 | user | Use a \\| b or c. |');
  });
});
