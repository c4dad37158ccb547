import { AppError, type Condition, type ConditionLogic, type ConditionOp, isAppError, regexProblem } from '@weft/schema';
import { type CompiledPath, compilePath, getMatches, getOne } from '../paths/index.js';
import { hasTemplate, renderTemplate, type TemplateScope } from '../templates/index.js';
import { compareValues, isEmptyValue, textOf, valuesEqual } from './compare.js';

export { compareValues, deepEqual, isEmptyValue, numberOf, timeOf, valuesEqual } from './compare.js';

/** Whether one record (or an object payload) satisfies the conditions. */
export type RecordTest = (record: unknown) => boolean;

/**
 * Conditions compiled once per config (paths parsed, patterns compiled). Values may hold
 * templates (`[[flow.since]]`), which are rendered once per payload by `bind`, never per record.
 */
export interface ConditionSet {
  /** No conditions: every record passes. */
  readonly empty: boolean;
  bind(scope: TemplateScope): RecordTest;
}

/** A condition's test of one value found at its field, before negation. */
type ValueTest = (value: unknown) => boolean;

interface CompiledCondition {
  path: CompiledPath;
  negate: boolean;
  /** The test when the value holds no template; otherwise built by `bind`. */
  test: ValueTest | undefined;
  build(value: unknown): ValueTest;
  value: unknown;
  /** `conditions[2]`, for messages. */
  at: string;
}

// Each negated operator is the exact opposite of its positive one: `not_contains` holds for a
// missing field, as "the field does not contain it" is true of a field that is not there.
const POSITIVE: Partial<Record<ConditionOp, ConditionOp>> = {
  neq: 'eq',
  not_contains: 'contains',
  not_in: 'in',
  not_exists: 'exists',
  not_empty: 'empty',
};

const ALWAYS: RecordTest = () => true;

/**
 * Compiles conditions for filter, route and dedupe. `at` names the list in messages
 * (`routes[1].conditions`). Throws AppError FLOW_INVALID for a condition the validator would
 * have refused (a definition run as a draft may not have been validated).
 */
export function compileConditions(conditions: readonly Condition[], logic: ConditionLogic = 'and', at = 'conditions'): ConditionSet {
  const compiled = conditions.map((condition, i) => compileCondition(condition, `${at}[${i}]`));
  if (compiled.length === 0) return { empty: true, bind: () => ALWAYS };
  const templated = compiled.some((c) => c.test === undefined);
  const combine = (tests: RecordTest[]): RecordTest => {
    if (tests.length === 1) return tests[0] as RecordTest;
    return logic === 'or' ? (record) => tests.some((t) => t(record)) : (record) => tests.every((t) => t(record));
  };
  const fixed = templated ? undefined : combine(compiled.map((c) => recordTest(c, c.test as ValueTest)));
  return {
    empty: false,
    bind(scope) {
      if (fixed !== undefined) return fixed;
      return combine(compiled.map((c) => recordTest(c, c.test ?? c.build(renderValue(c, scope)))));
    },
  };
}

function renderValue(condition: CompiledCondition, scope: TemplateScope): unknown {
  const render = (v: unknown) => (typeof v === 'string' ? renderTemplate(v, scope) : v);
  try {
    return Array.isArray(condition.value) ? condition.value.map(render) : render(condition.value);
  } catch (err) {
    if (!isAppError(err)) throw err;
    throw new AppError(err.code, `${condition.at}.value: ${err.message}`, { cause: err });
  }
}

function recordTest(condition: CompiledCondition, test: ValueTest): RecordTest {
  const { path, negate } = condition;
  if (path.wildcards === 0) {
    return negate ? (record) => !test(getOne(record, path)) : (record) => test(getOne(record, path));
  }
  // With `*` in the field, the condition holds when any element's value passes (`lines.*.sku eq X`).
  const any = (record: unknown) => {
    const matches = getMatches(record, path);
    if (matches.length === 0) return test(undefined);
    return matches.some((m) => test(m.value));
  };
  return negate ? (record) => !any(record) : any;
}

function compileCondition(condition: Condition, at: string): CompiledCondition {
  let path: CompiledPath;
  try {
    path = compilePath(condition.field);
  } catch (err) {
    throw new AppError('FLOW_INVALID', `${at}.field: ${(err as Error).message}`);
  }
  const op = condition.op;
  const positive = POSITIVE[op] ?? op;
  const build = (value: unknown) => valueTest(positive, value, at);
  const templated =
    (typeof condition.value === 'string' && hasTemplate(condition.value)) ||
    (Array.isArray(condition.value) && condition.value.some((v) => typeof v === 'string' && hasTemplate(v)));
  return {
    path,
    negate: positive !== op,
    test: templated ? undefined : build(condition.value),
    build,
    value: condition.value,
    at,
  };
}

function valueTest(op: ConditionOp, expected: unknown, at: string): ValueTest {
  switch (op) {
    case 'eq':
      return (v) => valuesEqual(v, expected);
    case 'gt':
      return ordered(expected, (c) => c > 0);
    case 'gte':
      return ordered(expected, (c) => c >= 0);
    case 'lt':
      return ordered(expected, (c) => c < 0);
    case 'lte':
      return ordered(expected, (c) => c <= 0);
    case 'contains': {
      const needle = textOf(expected);
      return (v) => {
        if (Array.isArray(v)) return v.some((el) => valuesEqual(el, expected));
        const text = textOf(v);
        return text !== undefined && needle !== undefined && text.includes(needle);
      };
    }
    case 'starts_with': {
      const prefix = textOf(expected);
      return (v) => prefix !== undefined && (textOf(v)?.startsWith(prefix) ?? false);
    }
    case 'ends_with': {
      const suffix = textOf(expected);
      return (v) => suffix !== undefined && (textOf(v)?.endsWith(suffix) ?? false);
    }
    case 'in': {
      if (!Array.isArray(expected)) throw new AppError('FLOW_INVALID', `${at}.value must be a list for op "in" and "not_in"`);
      return (v) => v !== undefined && expected.some((e) => valuesEqual(v, e));
    }
    case 'exists':
      return (v) => v !== undefined;
    case 'empty':
      return isEmptyValue;
    case 'matches': {
      if (typeof expected !== 'string') throw new AppError('FLOW_INVALID', `${at}.value must be a regular expression for op "matches"`);
      const problem = regexProblem(expected);
      if (problem !== undefined) throw new AppError('FLOW_INVALID', `${at}.value ${problem}`);
      const pattern = new RegExp(expected);
      return (v) => {
        const text = textOf(v);
        return text !== undefined && pattern.test(text);
      };
    }
    default:
      throw new AppError('FLOW_INVALID', `${at}.op ${JSON.stringify(op)} is not a condition operator`);
  }
}

function ordered(expected: unknown, holds: (comparison: number) => boolean): ValueTest {
  return (v) => {
    if (v === undefined || v === null) return false;
    const c = compareValues(v, expected);
    return c !== undefined && holds(c);
  };
}
