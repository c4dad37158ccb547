import { AppError, type ConnectorConfig, isAppError } from '@weft/schema';
import { getPath } from '../../paths/index.js';
import { Payload } from '../../payload.js';
import type { ShapeContext } from '../../shape.js';
import type { BoundStatement, DatabaseClient, ResolvedDatabase } from './database.js';
import { attemptTimeoutMs, settingName, settingRenderer, templateScope } from './index.js';
import type { Secrets } from './secrets.js';
import { type CompiledSql, compileSql } from './sql-params.js';

/**
 * A database endpoint for one bucket. Receive: one query per payload (or one without a payload),
 * its rows as one JSON array payload. Send: the payload's records (a JSON array, or one object)
 * executed one statement each, all in one transaction per payload; the output payload reports the
 * affected rows. Values are always bound by the driver, never written into the SQL text.
 */
export async function callDatabase(
  ctx: ShapeContext<ConnectorConfig>,
  database: ResolvedDatabase,
  secrets: Secrets,
  input: Payload[],
): Promise<Payload[]> {
  const { step } = ctx;
  const client = ctx.services.databases;
  if (client === undefined) {
    throw new AppError(
      'STEP_FAILED',
      `step ${JSON.stringify(step.id)} names a database instance, but this engine has no databases service`,
      {
        retryable: false,
      },
    );
  }
  const { endpoint, target } = database;
  const where = `endpoint ${JSON.stringify(endpoint.name)}`;
  const compiled = compileSql(endpoint.sql, target.protocol);
  for (const name of Object.keys(ctx.config.variables ?? {})) {
    if (!(name in endpoint.params)) {
      const known = Object.keys(endpoint.params);
      throw new AppError(
        'STEP_FAILED',
        `${settingName(step.id, `variables.${name}`)} is not a parameter of ${where}; ${known.length === 0 ? 'it has no parameters' : `its parameters: ${known.join(', ')}`}`,
        { retryable: false },
      );
    }
  }
  for (const name of compiled.names) {
    if (!(name in endpoint.params)) {
      throw new AppError('STEP_FAILED', `the SQL of ${where} uses :${name}, which is not one of its params; declare it on the endpoint`, {
        retryable: false,
      });
    }
  }
  const options = { timeoutMs: attemptTimeoutMs(ctx.config), signal: ctx.signal };
  const guarded = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      const masked = secrets.maskError(err);
      if (!isAppError(masked)) throw masked;
      throw new AppError(masked.code, `step ${JSON.stringify(step.id)}, ${where}: ${masked.message}`, {
        retryable: masked.retryable,
        cause: masked,
      });
    }
  };

  const out: Payload[] = [];
  if (endpoint.direction === 'receive') {
    const payloads: Array<Payload | undefined> = input.length === 0 ? [undefined] : input;
    for (const [index, payload] of payloads.entries()) {
      const statement = bind(ctx, database, compiled, payload, payload?.value());
      const rows = await guarded(() => client.query(target, statement, options));
      ctx.log({ level: 'info', message: `${where} returned ${rows.length} rows`, data: { rows: rows.length, payload_index: index } });
      out.push(Payload.fromValue(rows, 'json', { ...(payload?.meta ?? {}), row_count: String(rows.length) }));
    }
    return out;
  }

  for (const [index, payload] of input.entries()) {
    const value = payload.value();
    const records = Array.isArray(value) ? value : [value];
    if (records.some((r) => r === null || typeof r !== 'object' || Array.isArray(r))) {
      throw new AppError(
        'PAYLOAD_STRUCTURE_ERROR',
        `step ${JSON.stringify(step.id)}: ${where} executes once per record, so payload ${index} must be a JSON object or an array of objects`,
        { retryable: false },
      );
    }
    const statements = records.map((record) => bind(ctx, database, compiled, payload, record));
    const affected = await guarded(() => client.execute(target, statements, options));
    const total = affected.reduce((sum, n) => sum + n, 0);
    ctx.log({
      level: 'info',
      message: `${where} executed ${statements.length} statements in one transaction, ${total} rows affected`,
      data: { statements: statements.length, affected_rows: total, payload_index: index },
    });
    out.push(
      Payload.fromValue({ affected_rows: total, records: statements.length }, 'json', { ...payload.meta, affected_rows: String(total) }),
    );
  }
  return out;
}

/**
 * The values for one statement. Each parameter takes, in order: the step's endpoint variable of
 * that name (a template), the record's value at the parameter's `field`, the parameter's own
 * `value` template; a required parameter with none of these fails the step, others bind NULL.
 */
function bind(
  ctx: ShapeContext<ConnectorConfig>,
  database: ResolvedDatabase,
  compiled: CompiledSql,
  payload: Payload | undefined,
  record: unknown,
): BoundStatement {
  const { endpoint } = database;
  const render = settingRenderer(ctx.step.id, templateScope(ctx, payload));
  const own = ctx.config.variables ?? {};
  const values = new Map<string, unknown>();
  for (const name of compiled.names) {
    const param = endpoint.params[name] ?? {};
    let value: unknown;
    const template = own[name];
    if (template !== undefined) value = render(`variables.${name}`, template);
    if (value === undefined && param.field !== undefined && record !== undefined) value = getPath(record, param.field);
    if (value === undefined && param.value !== undefined)
      value = render(`params.${name} of endpoint ${JSON.stringify(endpoint.name)}`, param.value);
    if (value === undefined && param.required) {
      const from = param.field === undefined ? '' : ` (the record has no "${param.field}")`;
      throw new AppError(
        'STEP_FAILED',
        `parameter :${name} of endpoint ${JSON.stringify(endpoint.name)} is required but has no value${from}; set ${settingName(ctx.step.id, `variables.${name}`)} or send the field`,
        { retryable: false },
      );
    }
    values.set(name, toSqlValue(value));
  }
  return { text: compiled.text, values: compiled.order.map((name) => values.get(name)) };
}

/** Scalars are bound as they are; objects and arrays as their JSON text (for json/jsonb columns). */
function toSqlValue(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (typeof value === 'object') return JSON.stringify(value);
  return value;
}

export type { DatabaseClient };
