import { ERROR_CODES, type ErrorCodeInfo, type ErrorKind } from './errors.js';

/** Where the rendered error reference lives, relative to the repository root. */
export const ERRORS_DOC_PATH = 'docs/errors.md';

const KIND_MEANINGS: Record<ErrorKind, string> = {
  user: 'the request or the data has to change; sending the same thing again gives the same answer.',
  transient: 'a passing condition; the same request can succeed later, and the engine retries these itself.',
  bug: 'something went wrong inside Weft; the answer carries a request id to report, and no internals.',
};

// A fix text is free prose; a pipe or a line break in it would split the table row.
function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/**
 * The error reference (docs/errors.md) as Markdown, from the registry. scripts/gen-docs.mjs writes
 * it and a test compares the file with it, so the document cannot drift from the code.
 */
export function renderErrorsDoc(codes: Readonly<Record<string, ErrorCodeInfo>> = ERROR_CODES): string {
  const lines = [
    '# Error reference',
    '',
    '<!-- Generated from ERROR_CODES in packages/schema/src/errors.ts by `node scripts/gen-docs.mjs`; do not edit. -->',
    '',
    'Every error answer has the same body (spec/api.md §6):',
    '',
    '```json',
    '{ "message": "The given data was invalid.", "error": { "code": "FLOW_INVALID", "details": { "steps[2].config.url": ["must be an absolute http(s) URL"] } }, "errors": { "steps[2].config.url": ["must be an absolute http(s) URL"] } }',
    '```',
    '',
    '`message` is for people and may change; `error.code` is stable and is the one to program against.',
    '`errors` (and `error.details`) map the path of each offending field to its messages.',
    '',
    'Kinds:',
    '',
    ...(Object.keys(KIND_MEANINGS) as ErrorKind[]).map((kind) => `- \`${kind}\`: ${KIND_MEANINGS[kind]}`),
    '',
    '| Code | HTTP status | Kind | How to fix |',
    '| --- | --- | --- | --- |',
    ...Object.entries(codes).map(([code, info]) => `| \`${code}\` | ${info.status} | ${info.kind} | ${cell(info.fix)} |`),
    '',
  ];
  return lines.join('\n');
}
