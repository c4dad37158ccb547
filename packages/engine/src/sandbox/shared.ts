import { createSandbox, type Sandbox } from './sandbox.js';

let shared: Sandbox | undefined;

/** The sandbox of the process, for callers whose EngineServices carry none (created on first use). */
export function processSandbox(): Sandbox {
  shared ??= createSandbox();
  return shared;
}
