import { AppError } from '@weft/schema';

const MAX_DEPTH = 512;
const MAX_KEYS = 1_000_000;

/**
 * JSON bodies are parsed with JSON.parse (which keeps `__proto__` as a plain own key instead of
 * rejecting the request, quality.md §2) and then walked once, iteratively, to refuse documents
 * nested deeper than 512 or holding more than 1 000 000 keys before any handler touches them.
 */
export function parseJsonBody(text: string): unknown {
  if (text.length === 0) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new AppError('BAD_JSON', `The body is not valid JSON: ${(err as Error).message}`);
  }
  checkLimits(value);
  return value;
}

function checkLimits(root: unknown): void {
  if (root === null || typeof root !== 'object') return;
  let keys = 0;
  const stack: Array<[unknown, number]> = [[root, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (depth > MAX_DEPTH) throw new AppError('BAD_JSON', `The body is nested deeper than ${MAX_DEPTH} levels.`);
    if (Array.isArray(node)) {
      for (const item of node) if (item !== null && typeof item === 'object') stack.push([item, depth + 1]);
    } else {
      for (const key in node as Record<string, unknown>) {
        keys++;
        const item = (node as Record<string, unknown>)[key];
        if (item !== null && typeof item === 'object') stack.push([item, depth + 1]);
      }
      if (keys > MAX_KEYS) throw new AppError('BAD_JSON', `The body has more than ${MAX_KEYS} keys.`);
    }
  }
}
