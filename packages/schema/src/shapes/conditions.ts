import { type Static, Type } from '@sinclair/typebox';

/** The condition operators of spec/flows.md §3, shared by filter, route and dedupe. */
export const CONDITION_OPS = [
  'eq',
  'neq',
  'gt',
  'gte',
  'lt',
  'lte',
  'contains',
  'not_contains',
  'starts_with',
  'ends_with',
  'in',
  'not_in',
  'exists',
  'not_exists',
  'empty',
  'not_empty',
  'matches',
] as const;
export type ConditionOp = (typeof CONDITION_OPS)[number];

/** Operators that test only the field itself and take no value. */
export const VALUELESS_OPS: readonly ConditionOp[] = ['exists', 'not_exists', 'empty', 'not_empty'];
/** Operators whose value is a list. */
export const LIST_OPS: readonly ConditionOp[] = ['in', 'not_in'];

/** Longer patterns are refused: a pattern is user input run against every record. */
export const REGEX_MAX_LENGTH = 200;

export const ConditionSchema = Type.Object(
  {
    field: Type.String({
      description: 'Dot path inside the record (or the payload, when it is an object); "" for the record itself.',
    }),
    op: Type.Union(
      CONDITION_OPS.map((op) => Type.Literal(op)),
      { description: 'How the field is compared with the value.' },
    ),
    value: Type.Optional(
      Type.Unknown({
        description: 'What the field is compared with: a list for in/not_in, a regular expression for matches, none for exists/empty.',
      }),
    ),
  },
  { additionalProperties: false },
);

export type Condition = Static<typeof ConditionSchema>;

export const LogicSchema = Type.Union([Type.Literal('and'), Type.Literal('or')], {
  default: 'and',
  description: '`and`: every condition must hold; `or`: any one is enough.',
});
export type ConditionLogic = Static<typeof LogicSchema>;

/** One problem with a config, at a path relative to the config (`conditions[2].value`). */
export interface ConfigProblem {
  path: string;
  message: string;
}

/**
 * What is wrong with a `matches` pattern, or undefined. Besides compiling it, this refuses the
 * patterns whose backtracking can take exponential time (catastrophic backtracking): a quantified
 * group that itself holds a quantifier, such as `(a+)+` or `(\w*,?)*`, and back-references.
 */
export function regexProblem(pattern: string): string | undefined {
  if (pattern.length > REGEX_MAX_LENGTH) return `must be a regular expression of at most ${REGEX_MAX_LENGTH} characters`;
  try {
    new RegExp(pattern);
  } catch (err) {
    return `is not a valid regular expression: ${(err as Error).message}`;
  }
  return backtrackingProblem(pattern);
}

function backtrackingProblem(pattern: string): string | undefined {
  // One entry per open group: whether something inside it repeats.
  const groups: boolean[] = [];
  // Whether the atom just before the current position was a group holding a repetition.
  let lastGroupRepeats = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\') {
      const next = pattern[i + 1] ?? '';
      if (/[1-9]/.test(next) || (next === 'k' && pattern[i + 2] === '<')) {
        return 'must not use back-references (\\1, \\k<name>); they can make matching take exponential time';
      }
      i++;
      lastGroupRepeats = false;
      continue;
    }
    if (ch === '[') {
      // A character class is one atom; skip to its closing bracket.
      for (i++; i < pattern.length && pattern[i] !== ']'; i++) if (pattern[i] === '\\') i++;
      lastGroupRepeats = false;
      continue;
    }
    if (ch === '(') {
      groups.push(false);
      lastGroupRepeats = false;
      continue;
    }
    if (ch === ')') {
      lastGroupRepeats = groups.pop() ?? false;
      // A repetition deep inside counts for the enclosing group too, so ((a+)b)* is caught.
      if (lastGroupRepeats && groups.length > 0) groups[groups.length - 1] = true;
      continue;
    }
    const repeats = ch === '*' || ch === '+' || (ch === '{' && /^\{\d+,\d*\}/.test(pattern.slice(i)));
    if (repeats) {
      if (lastGroupRepeats) {
        return 'must not repeat a group that itself repeats, such as (a+)+ or (\\w*)*; such patterns can take exponential time';
      }
      if (groups.length > 0) groups[groups.length - 1] = true;
    }
    if (ch !== '?' && !repeats && ch !== '}') lastGroupRepeats = false;
  }
  return undefined;
}

function kindOf(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * Checks conditions that already satisfy ConditionSchema for what the schema cannot say: whether
 * each operator has the value it needs, and whether `matches` patterns are safe. `at` is the path
 * of the list, relative to the config (`conditions`, `routes[1].conditions`).
 */
export function conditionProblems(
  conditions: readonly Condition[],
  at: string,
  fieldProblem: (path: string) => string | undefined,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  conditions.forEach((condition, i) => {
    const path = `${at}[${i}]`;
    const fieldIssue = condition.field === '' ? undefined : fieldProblem(condition.field);
    if (fieldIssue !== undefined) problems.push({ path: `${path}.field`, message: fieldIssue });
    const { op, value } = condition;
    if (VALUELESS_OPS.includes(op)) {
      if (value !== undefined) problems.push({ path: `${path}.value`, message: `is not used by op "${op}"; remove it` });
      return;
    }
    if (value === undefined) {
      problems.push({ path: `${path}.value`, message: `is required for op "${op}"` });
      return;
    }
    if (LIST_OPS.includes(op)) {
      if (!Array.isArray(value)) problems.push({ path: `${path}.value`, message: `must be a list for op "${op}", got ${kindOf(value)}` });
      return;
    }
    if (op === 'matches') {
      if (typeof value !== 'string') {
        problems.push({ path: `${path}.value`, message: `must be a regular expression (a string) for op "matches", got ${kindOf(value)}` });
        return;
      }
      // A templated pattern is judged once rendered, by the engine.
      const problem = value.includes('[[') ? undefined : regexProblem(value);
      if (problem !== undefined) problems.push({ path: `${path}.value`, message: problem });
      return;
    }
    if (typeof value === 'object' && value !== null) {
      problems.push({ path: `${path}.value`, message: `must be a string, number, boolean or null for op "${op}", got ${kindOf(value)}` });
    }
  });
  return problems;
}
