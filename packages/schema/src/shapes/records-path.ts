import { pathFormProblem } from './map.js';

/** The root of the payload as a records path: the payload itself is the list of records. */
export const ROOT_RECORDS_PATH = '*';

/** The segments of a dot path, split on unescaped dots and still escaped. */
function rawSegments(path: string): string[] {
  const segments: string[] = [];
  let current = '';
  for (let i = 0; i < path.length; i++) {
    const ch = path[i] as string;
    if (ch === '\\') {
      current += ch + (path[i + 1] ?? '');
      i++;
    } else if (ch === '.') {
      segments.push(current);
      current = '';
    } else current += ch;
  }
  segments.push(current);
  return segments;
}

/**
 * What is wrong with the `path` of a shape that works on a list of records (filter, flow_control,
 * split), or undefined. `*` (or "") is the payload itself; `orders` and `orders.*` both name the
 * list under `orders`. A `*` anywhere but at the end would name many lists, which these shapes
 * do not take.
 */
export function recordsPathProblem(path: string): string | undefined {
  if (path === '' || path === ROOT_RECORDS_PATH) return undefined;
  const form = pathFormProblem(path);
  if (form !== undefined) return form;
  const segments = rawSegments(path);
  if (segments.slice(0, -1).includes('*')) {
    return 'may use "*" only as its last segment: it names one list of records, such as "orders" or "orders.*" ("*" alone for the payload itself)';
  }
  return undefined;
}
