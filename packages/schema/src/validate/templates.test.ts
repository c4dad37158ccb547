import { describe, expect, it } from 'vitest';
import { findTemplateReferences, templateReferenceProblem } from './templates.js';

const refs = (text: string) => findTemplateReferences(text).map(({ root, path }) => (path === undefined ? root : `${root}:${path}`));

describe('findTemplateReferences', () => {
  it('finds each reference with its root, path and position', () => {
    expect(findTemplateReferences('Hi [[payload.name]]!')).toEqual([
      { text: '[[payload.name]]', root: 'payload', path: 'name', start: 3, end: 19 },
    ]);
  });

  it('finds every reference in a string, in order', () => {
    expect(refs('[[flow.base]]/orders/[[payload.*.id]]?run=[[run.id]]&t=[[meta.tenant]]')).toEqual([
      'flow:base',
      'payload:*.id',
      'run:id',
      'meta:tenant',
    ]);
  });

  it('tolerates spaces inside the brackets', () => {
    expect(refs('[[ flow.base ]]')).toEqual(['flow:base']);
  });

  it('takes a bare root as a reference', () => {
    expect(refs('[[payload]] [[meta]]')).toEqual(['payload', 'meta']);
  });

  it('leaves nested JSON arrays and bare words alone', () => {
    expect(refs('[[1,2],[3]] [["a"]] [[]] [[null]] [[true, false]] [[x]]')).toEqual([]);
  });

  it('takes word.path in brackets as a reference even with an unknown root', () => {
    expect(refs('[[paylod.id]]')).toEqual(['paylod:id']);
  });

  it('finds a reference inside a third bracket', () => {
    expect(refs('[[[payload.id]]]')).toEqual(['payload:id']);
  });

  it('finds nothing in a string without brackets', () => {
    expect(findTemplateReferences('plain text')).toEqual([]);
  });
});

describe('templateReferenceProblem', () => {
  const problem = (text: string, variables: string[] = []) => {
    const [reference] = findTemplateReferences(text);
    if (reference === undefined) throw new Error(`no reference in ${text}`);
    return templateReferenceProblem(reference, new Set(variables));
  };

  it('accepts payload paths, meta keys, declared variables and run fields', () => {
    for (const text of ['[[payload]]', '[[payload.a.*.b]]', '[[meta.key]]', '[[run.id]]', '[[run.queued_at]]'])
      expect(problem(text)).toBeUndefined();
    expect(problem('[[flow.url]]', ['url'])).toBeUndefined();
  });

  it('refuses an empty payload path', () => {
    expect(problem('[[payload.]]')).toBe('"[[payload.]]" has an empty path after "payload."; use [[payload]] for the whole payload');
  });

  it('refuses an undeclared variable, naming it', () => {
    expect(problem('[[flow.urk]]', ['url', 'token'])).toBe(
      '"[[flow.urk]]" refers to variable "urk", which is not declared in variables (did you mean "url"?); declared: url, token',
    );
  });

  it('does not take an inherited property for a declared variable', () => {
    expect(problem('[[flow.constructor]]')).toMatch(/not declared/);
  });
});
