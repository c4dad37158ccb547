import { createRequire } from 'node:module';
import type ivm from 'isolated-vm';

const require = createRequire(import.meta.url);
let loaded: typeof ivm | undefined;

/**
 * isolated-vm, loaded when the first script step or script transform runs rather than at start:
 * most processes never run a script, and they then keep its native module and V8 platform out
 * of their idle memory.
 */
export function loadIvm(): typeof ivm {
  loaded ??= require('isolated-vm') as typeof ivm;
  return loaded;
}
