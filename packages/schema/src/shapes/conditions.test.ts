import { describe, expect, it } from 'vitest';
import { REGEX_MAX_LENGTH, regexProblem } from './conditions.js';

describe('regexProblem', () => {
  it('accepts ordinary patterns, quantified groups without inner repetition included', () => {
    for (const pattern of ['^ORD-\\d{4}$', '(ab)+', '[a+]+', '\\(a+\\)+', '(?:GB|IE)\\d+', 'a{2}b*', '(a|b)?c+']) {
      expect(regexProblem(pattern), pattern).toBeUndefined();
    }
  });

  it('refuses nested quantifiers, which can backtrack exponentially', () => {
    for (const pattern of ['(a+)+', '(a*)*$', '(\\w+\\s?)*x', '((ab)*c)+', '(a+){2,}', '(?:x+)+y']) {
      expect(regexProblem(pattern), pattern).toMatch(/must not repeat a group that itself repeats/);
    }
  });

  it('refuses back-references', () => {
    expect(regexProblem('(a)\\1')).toMatch(/back-references/);
    expect(regexProblem('(?<x>a)\\k<x>')).toMatch(/back-references/);
  });

  it('refuses patterns that do not compile or are too long', () => {
    expect(regexProblem('(a')).toMatch(/^is not a valid regular expression: /);
    expect(regexProblem('a'.repeat(REGEX_MAX_LENGTH))).toBeUndefined();
    expect(regexProblem('a'.repeat(REGEX_MAX_LENGTH + 1))).toMatch(/at most 200 characters/);
  });
});
