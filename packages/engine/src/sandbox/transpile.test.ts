import { describe, expect, it } from 'vitest';
import { createSandbox } from './index.js';
import { transpileScript } from './transpile.js';

describe('transpileScript', () => {
  it('strips TypeScript types into a script the sandbox runs', async () => {
    const source = [
      'interface Order { ref: string; total: number }',
      'function main(input: { payload: Order[] }): { payload: number } {',
      '  const sum: number = input.payload.reduce((n, o) => n + o.total, 0);',
      '  return { payload: sum };',
      '}',
    ].join('\n');
    const result = transpileScript(source, 'typescript');
    if (!('code' in result)) throw new Error(JSON.stringify(result.errors));
    expect(result.code).not.toMatch(/interface|: number/);
    const sandbox = createSandbox();
    try {
      const output = await sandbox.run(result.code, {
        payload: [{ total: 2 }, { total: 3 }],
        meta: {},
        variables: {},
        flow: { id: 'f', version_id: 'v', run_id: 'r' },
      });
      expect(output.payload).toBe(5);
    } finally {
      sandbox.dispose();
    }
  });

  it('keeps JavaScript exactly as written, so its line numbers stay the author’s', () => {
    const source = 'function main(input) {\n\n  return { payload: input.payload };\n}\n';
    expect(transpileScript(source, 'javascript')).toEqual({ code: source });
  });

  it('reports TypeScript syntax errors with their line and column in the source', () => {
    expect(transpileScript('function main() {\n  const x: = 1;\n}', 'typescript')).toEqual({
      errors: [{ message: 'Unexpected "="', line: 2, column: 12 }],
    });
  });

  it('reports JavaScript syntax errors with V8’s message, line and column', () => {
    expect(transpileScript('function main() {\n  return {;\n}', 'javascript')).toEqual({
      errors: [{ message: "SyntaxError: Unexpected token ';'", line: 2, column: 11 }],
    });
  });

  it('refuses modules, which the sandbox cannot run', () => {
    for (const language of ['javascript', 'typescript'] as const) {
      const result = transpileScript('export function main() { return { payload: 1 } }', language);
      expect(result).toMatchObject({
        errors: [{ message: expect.stringMatching(/export.*scripts are plain scripts/), line: expect.any(Number) }],
      });
    }
  });
});
