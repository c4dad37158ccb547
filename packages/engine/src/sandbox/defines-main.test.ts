import { describe, expect, it } from 'vitest';
import { mainProblem } from './defines-main.js';

describe('mainProblem', () => {
  it('accepts a function, an async function and an arrow function named main', () => {
    expect(mainProblem('function main(i) { return i; }')).toBeUndefined();
    expect(mainProblem('async function main(i) { return i; }')).toBeUndefined();
    expect(mainProblem('const main = (i) => i;')).toBeUndefined();
  });

  it('names a script without main, or with a main that is not a function', () => {
    expect(mainProblem('function helper() {}')?.message).toMatch(/^the script defines no main; define function main/);
    expect(mainProblem('var main = 3;')?.message).toBe('main must be a function, but it is a number');
  });

  it('reports top-level code that throws with its line', () => {
    expect(mainProblem('function main(i) { return i; }\n\nnull.x;')).toMatchObject({
      message: expect.stringMatching(/^the top-level code fails: TypeError: Cannot read properties of null/),
      line: 3,
    });
  });

  it('stops top-level code that never ends', () => {
    expect(mainProblem('while (true) {}\nfunction main() {}')?.message).toMatch(/the top-level code fails: .*timed out/i);
  });
});
