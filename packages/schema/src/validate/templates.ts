import { closest, quote } from './field-path.js';

/** The roots a `[[...]]` template may start with (spec/flows.md §2). */
export const TEMPLATE_ROOTS = ['payload', 'meta', 'flow', 'run'] as const;
export type TemplateRoot = (typeof TEMPLATE_ROOTS)[number];

/** The fields of `[[run.…]]`. */
export const RUN_TEMPLATE_FIELDS = ['id', 'queued_at'] as const;

/** One `[[root.path]]` occurrence in a string setting. */
export interface TemplateReference {
  /** The whole occurrence, brackets included: `[[flow.crm_url]]`. */
  text: string;
  /** `flow`; not necessarily one of TEMPLATE_ROOTS. */
  root: string;
  /** What follows `root.` (`crm_url`, `*.id`), or undefined for a bare `[[payload]]`. */
  path: string | undefined;
  /** Offset of the opening brackets in the string. */
  start: number;
  /** Offset just past the closing brackets. */
  end: number;
}

// `[[word.anything]]` is always a template; a bare `[[word]]` only when the word is a root, so
// nested JSON arrays in a document setting (`[[1,2]]`, `[["a"]]`, `[[]]`, `[[null]]`) are left alone.
const TEMPLATE = /\[\[\s*([A-Za-z_][A-Za-z0-9_]*)(?:(\.)([^[\]]*?))?\s*\]\]/g;

/**
 * Every template reference in `text`, in order. The engine renders with the same grammar, so what
 * validation accepts is exactly what a run resolves.
 */
export function findTemplateReferences(text: string): TemplateReference[] {
  if (!text.includes('[[')) return [];
  const references: TemplateReference[] = [];
  for (const match of text.matchAll(TEMPLATE)) {
    const [whole, root = '', dot, path] = match;
    if (dot === undefined && !(TEMPLATE_ROOTS as readonly string[]).includes(root)) continue;
    const start = match.index;
    references.push({ text: whole, root, path: dot === undefined ? undefined : (path ?? ''), start, end: start + whole.length });
  }
  return references;
}

/**
 * What is wrong with one reference, knowing the declared flow variables, or undefined when it can
 * resolve. Payload paths and meta keys depend on the data, so only their form is judged here.
 */
export function templateReferenceProblem(reference: TemplateReference, variables: ReadonlySet<string>): string | undefined {
  const { root, path, text } = reference;
  const shown = quote(text);
  switch (root) {
    case 'payload':
      return path === '' ? `${shown} has an empty path after "payload."; use [[payload]] for the whole payload` : undefined;
    case 'meta':
      return path === undefined || path === '' ? `${shown} needs a meta key, as in [[meta.key]]` : undefined;
    case 'flow': {
      if (path === undefined || path === '') return `${shown} needs a variable name, as in [[flow.name]]`;
      if (variables.has(path)) return undefined;
      const hint = closest(path, variables);
      const declared = variables.size === 0 ? 'no variables are declared' : `declared: ${[...variables].join(', ')}`;
      return `${shown} refers to variable ${quote(path)}, which is not declared in variables${hint === undefined ? '' : ` (did you mean "${hint}"?)`}; ${declared}`;
    }
    case 'run':
      if (path !== undefined && (RUN_TEMPLATE_FIELDS as readonly string[]).includes(path)) return undefined;
      return `${shown} refers to an unknown run field; use ${RUN_TEMPLATE_FIELDS.map((f) => `[[run.${f}]]`).join(' or ')}`;
    default: {
      const hint = closest(root, TEMPLATE_ROOTS);
      return `${shown} starts with unknown root ${quote(root)}${hint === undefined ? '' : ` (did you mean "${hint}"?)`}; templates start with ${TEMPLATE_ROOTS.join(', ')}`;
    }
  }
}
