import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';

/**
 * Leak canaries (issue 7): every secret the tests hand the product (the harness's default password,
 * the test OAuth provider's client secret and tokens, instance credentials in the tests) contains this
 * string, so one search finds any of them wherever they end up. Every test system is scanned for it at
 * close (see harness.ts): no file of its data directory, no table of its PostgreSQL schema, no server
 * log line and no API response may hold it.
 */
export const CANARY = 'wEfTcAnArY7q';

const CANARY_UTF16 = Buffer.from(CANARY, 'utf16le');

/** Recent log text kept so a secret tracked just after the line that leaked it (a login's own log line) is still found. */
const LOG_TAIL_CHARS = 64 * 1024;

/** How a secret is named in a report: the canary in full, anything else by its first characters only. */
function label(secret: string): string {
  return secret === CANARY ? `the canary ${CANARY}` : `a tracked secret (${secret.slice(0, 10)}…)`;
}

/** A short piece of text around the secret, so the report shows which field held it. */
function excerpt(text: string, secret: string): string {
  const at = text.indexOf(secret);
  const start = Math.max(0, at - 80);
  return `${start > 0 ? '…' : ''}${text.slice(start, at + secret.length + 40).replace(/\s+/g, ' ')}…`;
}

/** Where the data of a system lives: its data directory, and its PostgreSQL schema when it has one. */
export interface ScanTarget {
  dataDir: string;
  config: { databaseUrl?: string; databaseSchema: string };
}

/**
 * Watches one test system: log lines and responses are checked as they pass (nothing is kept but a
 * short tail of the log), the data at rest when `scanAtRest` is called. Leaks are kept as readable
 * lines naming the place.
 *
 * The canary is looked for everywhere. Secrets the product hands out itself (login tokens, API keys,
 * webhook secrets) are `track`ed and looked for only at rest and in logs: responses legitimately
 * return them once, when they are issued.
 */
export class LeakWatch {
  readonly leaks: string[] = [];
  private readonly secrets = new Set<string>([CANARY]);
  private readonly tail: string[] = [];
  private tailChars = 0;
  private logLines = 0;

  /** Adds a secret to look for from now on (and in the recent log tail). Short strings are ignored: they would match by chance. */
  track(secret: unknown): void {
    if (typeof secret !== 'string' || secret.length < 12 || this.secrets.has(secret)) return;
    this.secrets.add(secret);
    const recent = this.tail.join('');
    if (recent.includes(secret)) this.leaks.push(`server log holds ${label(secret)}: ${excerpt(recent, secret)}`);
  }

  /** Checks one server log line. */
  logLine(line: string): void {
    this.logLines += 1;
    for (const secret of this.secrets) {
      if (line.includes(secret)) this.leaks.push(`server log line ${this.logLines} holds ${label(secret)}: ${excerpt(line, secret)}`);
    }
    this.tail.push(line);
    this.tailChars += line.length;
    while (this.tailChars > LOG_TAIL_CHARS && this.tail.length > 1) this.tailChars -= this.tail.shift()?.length ?? 0;
  }

  /** Checks one API response (its body and headers) for the canary; `where` names the request. */
  response(where: string, body: string, headers: Record<string, unknown> = {}): void {
    if (body.includes(CANARY)) this.leaks.push(`response to ${where} holds ${label(CANARY)}: ${excerpt(body, CANARY)}`);
    const head = JSON.stringify(headers);
    if (head.includes(CANARY)) this.leaks.push(`response headers of ${where} hold ${label(CANARY)}: ${excerpt(head, CANARY)}`);
  }

  /** A pino destination that checks each line and passes it on to `inner` when given. */
  logStream(inner?: { write(line: string): unknown }): { write(line: string): void } {
    return {
      write: (line: string) => {
        this.logLine(line);
        inner?.write(line);
      },
    };
  }

  /** Scans every file under the data directory and, with a PostgreSQL store, every table of the system's schema. */
  async scanAtRest(target: ScanTarget): Promise<void> {
    const secrets = [...this.secrets];
    for (const file of await filesUnder(target.dataDir)) {
      const bytes = await readFile(file).catch(() => undefined);
      if (bytes === undefined) continue;
      for (const secret of secrets) {
        if (bytes.includes(secret)) this.leaks.push(`file ${path.relative(target.dataDir, file)} holds ${label(secret)}`);
      }
      // A file may hold text as UTF-16 (SQLite can); the canary is looked for that way too.
      if (bytes.includes(CANARY_UTF16)) this.leaks.push(`file ${path.relative(target.dataDir, file)} holds ${label(CANARY)} (UTF-16)`);
    }
    for (const [table, text] of await postgresRows(target.config)) {
      for (const secret of secrets) {
        // bytea columns (payload bodies) read as hex.
        if (text.includes(secret) || text.includes(Buffer.from(secret).toString('hex'))) {
          this.leaks.push(`table ${target.config.databaseSchema}.${table} holds ${label(secret)}`);
        }
      }
    }
  }
}

/** One error naming every leak, or undefined when there is none. */
export function leakError(leaks: readonly string[], what = 'test system'): Error | undefined {
  if (leaks.length === 0) return undefined;
  const shown = leaks.slice(0, 20).map((l) => `  - ${l}`);
  if (leaks.length > 20) shown.push(`  - … and ${leaks.length - 20} more`);
  return new Error(`Leak canary: a secret was found where none may be (${what}):\n${shown.join('\n')}`);
}

/**
 * Everything at once, for a test that gathered its own logs and responses: the places where the
 * canary or one of `secrets` appears. Responses are checked for the canary only (see LeakWatch).
 */
export async function findCanaryLeaks(opts: {
  dataDir: string;
  config: ScanTarget['config'];
  logLines?: readonly string[];
  responses?: ReadonlyArray<string | { where: string; body: string }>;
  secrets?: readonly string[];
}): Promise<string[]> {
  const watch = new LeakWatch();
  for (const secret of opts.secrets ?? []) watch.track(secret);
  for (const line of opts.logLines ?? []) watch.logLine(line);
  for (const [i, r] of (opts.responses ?? []).entries()) {
    if (typeof r === 'string') watch.response(`response #${i + 1}`, r);
    else watch.response(r.where, r.body);
  }
  await watch.scanAtRest({ dataDir: opts.dataDir, config: opts.config });
  return watch.leaks;
}

/** Every file under the directory; none when it does not exist (a system that never wrote one). */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  // Sorted, so reports read the same every time.
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

/** Each table of the system's PostgreSQL schema with all its rows as text; none without a PostgreSQL store. */
export async function postgresRows(config: ScanTarget['config']): Promise<Array<[string, string]>> {
  if (config.databaseUrl === undefined) return [];
  const client = new pg.Client({ connectionString: config.databaseUrl });
  await client.connect();
  try {
    const tables = await client.query<{ name: string }>(
      "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'",
      [config.databaseSchema],
    );
    const out: Array<[string, string]> = [];
    for (const { name } of tables.rows) {
      const rows = await client.query<{ text: string | null }>(
        `SELECT string_agg(t::text, E'\\n') AS text FROM "${config.databaseSchema}"."${name}" t`,
      );
      out.push([name, rows.rows[0]?.text ?? '']);
    }
    return out;
  } finally {
    await client.end();
  }
}
