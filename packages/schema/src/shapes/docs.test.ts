import { existsSync, readFileSync } from 'node:fs';
import type { TSchema } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { SHAPES } from '../flow.js';
import { SHAPE_CONFIG_SCHEMAS } from './index.js';

const docs = new URL('../../../../docs/shapes/', import.meta.url);

describe('the shape docs in docs/shapes', () => {
  it.each([...SHAPES])('%s has a page with its config, behaviour and an example, naming every setting', (shape) => {
    const file = new URL(`${shape}.md`, docs);
    expect(existsSync(file), `docs/shapes/${shape}.md is missing`).toBe(true);
    const text = readFileSync(file, 'utf8');
    expect(text.startsWith(`# ${shape}\n`)).toBe(true);
    for (const heading of ['## Config', '## Behaviour', '## Example']) expect(text, `${shape}: ${heading}`).toContain(`\n${heading}`);
    const settings = Object.keys((SHAPE_CONFIG_SCHEMAS[shape] as TSchema & { properties?: Record<string, unknown> }).properties ?? {});
    // `name`, or `name[]` / `name.x` for the parts of a list or object.
    for (const setting of settings)
      expect(text, `docs/shapes/${shape}.md does not name the setting ${setting}`).toMatch(new RegExp(`\`${setting}[\`[.]`));
  });
});
