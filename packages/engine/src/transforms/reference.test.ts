import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TRANSFORMS } from './index.js';
import { renderTransformsDoc, TRANSFORMS_DOC_PATH } from './reference.js';

const file = new URL(`../../../../${TRANSFORMS_DOC_PATH}`, import.meta.url);

describe('the transforms reference', () => {
  it('in docs/transforms.md is the one the registry renders (rewrite with WEFT_WRITE_DOCS=1)', () => {
    const rendered = renderTransformsDoc();
    if (process.env.WEFT_WRITE_DOCS === '1') writeFileSync(file, rendered);
    expect(
      readFileSync(file, 'utf8'),
      `${TRANSFORMS_DOC_PATH} is out of date: WEFT_WRITE_DOCS=1 npx vitest run packages/engine/src/transforms/reference.test.ts`,
    ).toBe(rendered);
  });

  it('has a section and every argument for each transform', () => {
    const doc = renderTransformsDoc();
    for (const [name, def] of Object.entries(TRANSFORMS)) {
      expect(doc).toContain(`\n### ${name}\n`);
      for (const arg of Object.keys(def.args)) expect(doc).toContain(`| \`${arg}\` |`);
    }
  });
});
