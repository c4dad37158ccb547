import { describe, expect, it } from 'vitest';
import { validateDefinition } from '../validate/index.js';
import { scriptVariableNameProblem } from './script.js';

function errors(config: Record<string, unknown>) {
  return validateDefinition({
    steps: [
      { id: 'trigger', shape: 'trigger', config: {} },
      { id: 'run_script', shape: 'script', config },
    ],
    edges: [{ from: 'trigger', to: 'run_script' }],
  });
}

describe('the script shape config', () => {
  it('accepts a script name with an optional version and time limit', () => {
    expect(errors({ script: 'normalise-orders' })).toEqual({});
    expect(errors({ script: 'normalise-orders', version: 3, timeout_seconds: 120 })).toEqual({});
  });

  it('names the field at fault', () => {
    expect(Object.keys(errors({}))).toEqual(['steps[1].config.script']);
    expect(Object.keys(errors({ script: '' }))).toEqual(['steps[1].config.script']);
    expect(Object.keys(errors({ script: 's', version: 0 }))).toEqual(['steps[1].config.version']);
    expect(Object.keys(errors({ script: 's', version: 1.5 }))).toEqual(['steps[1].config.version']);
    expect(Object.keys(errors({ script: 's', timeout_seconds: 121 }))).toEqual(['steps[1].config.timeout_seconds']);
    expect(Object.keys(errors({ script: 's', timeout_seconds: 0 }))).toEqual(['steps[1].config.timeout_seconds']);
    expect(Object.keys(errors({ script: 's', code: 'function main() {}' }))).toEqual(['steps[1].config.code']);
  });

  it('says what a variable name a script sets must look like', () => {
    expect(scriptVariableNameProblem('last_ref')).toBeUndefined();
    expect(scriptVariableNameProblem('has space')).toMatch(/^variable names must be 1-64 characters .*got "has space"$/);
  });
});
