import './formats/index.js';

export type {
  CachedDocument,
  CachePort,
  CacheTarget,
  CacheWriteRequest,
  DataPoolPort,
  TrackedDataPort,
  TrackedValue,
} from './data-ports.js';
export { detectFormat, parseCsv, parseJson, parseXml, writeCsv, writeXml } from './formats/index.js';
export { createEgressPolicy, createHttpClient, describeUrl, type EgressPolicy, type HttpClientOptions } from './net/index.js';
export { type FormatCodec, Payload, registerFormat } from './payload.js';
export { type ExecuteRunInput, executeRun, type RunOutcome } from './run/execute-run.js';
export type { JournalEntry, LogEntry, RunJournalPort, StepWrite } from './run/journal.js';
export { MemoryJournal } from './run/memory-journal.js';
export {
  createSandbox,
  mainProblem,
  processSandbox,
  type RunOptions as SandboxRunOptions,
  SANDBOX_DEFAULTS,
  type Sandbox,
  type SandboxOptions,
  ScriptError,
  type ScriptInput,
  type ScriptLanguage,
  type ScriptOutput,
  type TranspileProblem,
  type TranspileResult,
  transpileScript,
} from './sandbox/index.js';
export type {
  EngineServices,
  HttpClient,
  HttpRequest,
  HttpResponse,
  LookupTableRow,
  LookupTableSource,
  ScriptSource,
  ScriptStore,
} from './services.js';
export type { RunInfo, Shape, ShapeContext, ShapeResult, StepLog } from './shape.js';
export type {
  BoundStatement,
  DatabaseCallOptions,
  DatabaseClient,
  DatabaseEndpointDefinition,
  DatabaseParam,
  DatabaseTarget,
  ResolvedDatabase,
} from './shapes/connector/database.js';
export type {
  ConnectorResolver,
  EndpointPagination,
  EndpointParam,
  EndpointRateLimit,
  ResolvedAuth,
  ResolvedEndpoint,
  ResolvedEndpointDefinition,
} from './shapes/connector/endpoint.js';
export { idempotencyKey } from './shapes/connector/index.js';
export { type CompiledSql, compileSql, type SqlDialect } from './shapes/connector/sql-params.js';
export { type ConnectionTestResult, testConnection } from './shapes/connector/test-connection.js';
export { shapeRegistry } from './shapes/index.js';
export { type PreviewResult, previewMap } from './shapes/map/index.js';
export type { EmailMessage, EmailSender } from './shapes/notify/email.js';
export type { ChildRun, ChildRuns, StartChildInput } from './shapes/run-flow/port.js';
export { renderTemplate, templateReferences } from './templates/index.js';
