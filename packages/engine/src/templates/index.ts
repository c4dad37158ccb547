import {
  AppError,
  type TemplateReference as FoundReference,
  findTemplateReferences,
  RUN_TEMPLATE_FIELDS,
  TEMPLATE_ROOTS,
  type TemplateRoot,
} from '@weft/schema';
import { type CompiledPath, compilePath, getMatches, getOne, pathProblem } from '../paths/index.js';
import type { RunInfo } from '../shape.js';

/**
 * `[[...]]` templates in string settings (spec/flows.md §2):
 * `[[payload.path.to.field]]`, `[[payload.*.id]]` (every match, comma-joined), `[[payload]]`,
 * `[[meta.key]]`, `[[flow.variable]]`, `[[run.id]]`, `[[run.queued_at]]`.
 *
 * References are found by the flow validator's own scanner (findTemplateReferences of
 * @weft/schema), so what validation accepts is exactly what a run resolves: a
 * `[[word.anything]]` is always a template, a bare `[[word]]` only when the word is a root, and
 * JSON such as `[[1,2]]` in a document setting is left alone.
 */

export interface TemplateScope {
  /** The payload's parsed value; called at most once per render, and only when a template reads it. */
  payload?: () => unknown;
  meta: Readonly<Record<string, string>>;
  flow: Readonly<Record<string, string>>;
  /** `id` and `queued_at`; see runTemplateScope. */
  run: Readonly<Record<string, string>>;
}

export interface TemplateRef {
  root: TemplateRoot;
  /** What follows `root.`; '' for a bare `[[payload]]`. */
  path: string;
}

/** The `run` part of a TemplateScope for a run. */
export function runTemplateScope(run: Pick<RunInfo, 'id' | 'queuedAt'>): Record<string, string> {
  return { id: run.id, queued_at: run.queuedAt };
}

type Part =
  | string
  | { kind: 'payload'; path: CompiledPath }
  | { kind: 'meta' | 'flow' | 'run'; key: string; text: string }
  | { kind: 'invalid'; message: string };

/** A reference as the scanner finds it: `path` undefined for a bare `[[root]]`; root not necessarily known. */
type RawReference = FoundReference;

function scan(template: string): RawReference[] {
  return findTemplateReferences(template);
}

function isRoot(word: string): word is TemplateRoot {
  return (TEMPLATE_ROOTS as readonly string[]).includes(word);
}

/** Whether a string holds any template reference. */
export function hasTemplate(template: string): boolean {
  return scan(template).length > 0;
}

/** The references with a known root, in order (unknown roots are templateProblems' business). */
export function templateReferences(template: string): TemplateRef[] {
  const out: TemplateRef[] = [];
  for (const ref of scan(template)) if (isRoot(ref.root)) out.push({ root: ref.root, path: ref.path ?? '' });
  return out;
}

/** What is wrong with one reference regardless of the data, or undefined. */
function referenceProblem(ref: RawReference, variables: ReadonlySet<string> | undefined): string | undefined {
  const shown = JSON.stringify(ref.text);
  switch (ref.root) {
    case 'payload': {
      if (ref.path === undefined) return undefined;
      if (ref.path === '') return `${shown} has an empty path after "payload."; use [[payload]] for the whole payload`;
      const problem = pathProblem(ref.path);
      return problem === undefined ? undefined : `${shown}: path ${problem}`;
    }
    case 'meta':
      return ref.path === undefined || ref.path === '' ? `${shown} needs a meta key, as in [[meta.key]]` : undefined;
    case 'flow':
      if (ref.path === undefined || ref.path === '') return `${shown} needs a variable name, as in [[flow.name]]`;
      if (variables !== undefined && !variables.has(ref.path)) return `${shown} refers to variable "${ref.path}", which is not declared`;
      return undefined;
    case 'run':
      if (ref.path !== undefined && (RUN_TEMPLATE_FIELDS as readonly string[]).includes(ref.path)) return undefined;
      return `${shown} refers to an unknown run field; use ${RUN_TEMPLATE_FIELDS.map((f) => `[[run.${f}]]`).join(' or ')}`;
    default:
      return `${shown} starts with unknown root "${ref.root}"; templates start with ${TEMPLATE_ROOTS.join(', ')}`;
  }
}

/**
 * Problems with a template that can be known before a run: unknown roots, unknown run fields,
 * malformed payload paths, missing keys and, when `variables` is given, undeclared flow variables.
 */
export function templateProblems(template: string, options: { variables?: Iterable<string> } = {}): string[] {
  const variables = options.variables === undefined ? undefined : new Set(options.variables);
  const problems: string[] = [];
  for (const ref of scan(template)) {
    const problem = referenceProblem(ref, variables);
    if (problem !== undefined) problems.push(problem);
  }
  return problems;
}

const CACHE_LIMIT = 2_000;
const compiled = new Map<string, Part[]>();

function compile(template: string): Part[] {
  let parts = compiled.get(template);
  if (parts !== undefined) return parts;
  parts = [];
  let at = 0;
  for (const ref of scan(template)) {
    if (ref.start > at) parts.push(template.slice(at, ref.start));
    at = ref.end;
    const problem = referenceProblem(ref, undefined);
    if (problem !== undefined) parts.push({ kind: 'invalid', message: problem });
    else if (ref.root === 'payload') parts.push({ kind: 'payload', path: compilePath(ref.path ?? '') });
    else parts.push({ kind: ref.root as 'meta' | 'flow' | 'run', key: ref.path ?? '', text: ref.text });
  }
  if (at < template.length) parts.push(template.slice(at));
  if (compiled.size >= CACHE_LIMIT) compiled.clear();
  compiled.set(template, parts);
  return parts;
}

const NOT_READ = Symbol('not read');

/**
 * Renders a template. A payload path that finds nothing renders as ''; an unknown flow, meta or
 * run name throws AppError TEMPLATE_ERROR naming it. Objects and lists render as JSON.
 */
export function renderTemplate(template: string, scope: TemplateScope): string {
  if (!template.includes('[[')) return template;
  const parts = compile(template);
  let payload: unknown = NOT_READ;
  let out = '';
  for (const part of parts) {
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    switch (part.kind) {
      case 'invalid':
        throw new AppError('TEMPLATE_ERROR', part.message);
      case 'payload': {
        if (payload === NOT_READ) payload = scope.payload === undefined ? undefined : scope.payload();
        if (part.path.wildcards === 0) out += renderValue(getOne(payload, part.path));
        else {
          let first = true;
          for (const match of getMatches(payload, part.path)) {
            out += first ? renderValue(match.value) : `,${renderValue(match.value)}`;
            first = false;
          }
        }
        break;
      }
      default: {
        const source = part.kind === 'meta' ? scope.meta : part.kind === 'flow' ? scope.flow : scope.run;
        if (!Object.hasOwn(source, part.key)) throw unknownName(part.kind, part.key, part.text);
        out += source[part.key] ?? '';
      }
    }
  }
  return out;
}

function unknownName(kind: 'meta' | 'flow' | 'run', key: string, text: string): AppError {
  const what = kind === 'meta' ? 'meta key' : kind === 'flow' ? 'flow variable' : 'run field';
  return new AppError('TEMPLATE_ERROR', `${JSON.stringify(text)} refers to ${what} "${key}", which is not set`);
}

/** How a value reads inside a string: text as is, nothing as '', structures as JSON. */
export function renderValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
