import type { LookupIndex } from './lookup-index.js';

/** A `script` transform's call: the script's `main` gets the value as `payload`, with the record's meta and the variables. */
export interface ScriptCall {
  script: string;
  version: number | undefined;
  value: unknown;
  meta: Readonly<Record<string, string>>;
  variables: Readonly<Record<string, string>>;
}

/** One read of a named cache by the `cache_lookup` transform; the map shape resolves the scope against its run. */
export interface CacheRead {
  cache: string;
  scope: 'run' | 'flow' | 'company';
  key: string;
}

/** What a transform may know about the rule it is part of, besides the value it receives. */
export interface TransformContext {
  /** The run's clock (EngineServices.now), so `now` is deterministic in tests. */
  now(): Date;
  /** The element being mapped: the input element a rule's `*` positions stand for, or the whole input. */
  record(): unknown;
  /** The whole input document of the map step. */
  input(): unknown;
  meta: Readonly<Record<string, string>>;
  variables: Readonly<Record<string, string>>;
  /** `id` and `queued_at`, as templates see them. */
  run: Readonly<Record<string, string>>;
  /**
   * A cross-reference lookup table by name, loaded before the rules run (the map shape loads the
   * tables its rules name); undefined when the company has no such table. Absent where no tables can be read.
   */
  lookupTable?(name: string): LookupIndex | undefined;
  /** Runs the company's deployed script on one value (the `script` transform); absent where scripts cannot run. */
  runScript?(call: ScriptCall): Promise<unknown>;
  /** Reads a cache entry (the `cache_lookup` transform); absent where caches cannot be read (the preview). */
  cacheEntry?(read: CacheRead): Promise<{ format: 'json' | 'xml' | 'csv' | 'text'; body: Buffer } | undefined>;
}

/** A problem with a transform's arguments, at a path relative to the transform (`args.separator`). */
export interface ArgProblem {
  path: string;
  message: string;
}

export type TransformArgs = Readonly<Record<string, unknown>>;

/** Applies a transform with its arguments already read; returns a Promise only for async transforms. */
export type TransformApply = (value: unknown, ctx: TransformContext) => unknown;

export type ArgType = 'string' | 'number' | 'integer' | 'boolean' | 'string[]' | 'any';

export interface ArgSpec {
  type: ArgType;
  required?: boolean;
  /** For strings: the allowed values. */
  oneOf?: readonly string[];
  min?: number;
  max?: number;
  /** For strings and lists. */
  nonEmpty?: boolean;
  description: string;
}

export type TransformCategory = 'string' | 'number' | 'date' | 'array' | 'other';

export interface TransformDef {
  readonly category: TransformCategory;
  readonly description: string;
  readonly args: Readonly<Record<string, ArgSpec>>;
  /**
   * Whether the transform runs on a missing (undefined) or null value. Those that do not leave
   * it as it is, so `to_number` on an absent field stays absent and a later `default` can fill it.
   */
  readonly acceptsMissing: boolean;
  /** Whether apply returns a Promise (expression: JSONata evaluates asynchronously). */
  readonly async: boolean;
  /** Problems with the arguments, each at a path such as `args.separator`; empty when usable. */
  validate(args: unknown): ArgProblem[];
  /** Reads the (valid) arguments once and returns the function applied to each value. */
  compile(args: TransformArgs): TransformApply;
}
