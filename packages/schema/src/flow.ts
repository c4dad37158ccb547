/** The flow model of spec/flows.md §1-§2, shared by the server, the engine and the dashboard. */

export const PAYLOAD_FORMATS = ['json', 'xml', 'csv', 'text'] as const;
export type PayloadFormat = (typeof PAYLOAD_FORMATS)[number];

export const SHAPES = [
  'trigger',
  'map',
  'connector',
  'manual_payload',
  'filter',
  'route',
  'branch',
  'flow_control',
  'split',
  'set_variables',
  'assert',
  'notify',
  'try_catch',
  'script',
  'run_flow',
  'callback',
  'cache_add',
  'cache_load',
  'dedupe',
  'track_data',
] as const;
export type ShapeName = (typeof SHAPES)[number];

export interface StepDefinition {
  id: string;
  shape: string;
  name?: string;
  config: Record<string, unknown>;
  position?: { x: number; y: number };
}

export interface EdgeDefinition {
  from: string;
  to: string;
  label?: string;
}

export interface FlowDefinition {
  format?: PayloadFormat;
  variables?: Record<string, string>;
  steps: StepDefinition[];
  edges: EdgeDefinition[];
}

export const VERSION_STATUSES = ['draft', 'deployed', 'inactive'] as const;
export type VersionStatus = (typeof VERSION_STATUSES)[number];

export const RUN_STATUSES = ['queued', 'running', 'success', 'failure', 'partial_success', 'stopped'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const TERMINAL_RUN_STATUSES: readonly RunStatus[] = ['success', 'failure', 'partial_success', 'stopped'];

export const RUN_TRIGGERS = ['api', 'manual', 'webhook', 'schedule', 'callback', 'event', 'shape', 'retry'] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];

export const ROLES = ['administrator', 'manager', 'user', 'read_only'] as const;
export type Role = (typeof ROLES)[number];

export const LOG_LEVELS = ['debug', 'info', 'warning', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
