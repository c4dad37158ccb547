#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { flowImport, flowRun } from './commands/flow.js';
import { keysRotate } from './commands/keys.js';
import { limits } from './commands/limits.js';
import { migrate } from './commands/migrate.js';
import { api, start, worker } from './commands/start.js';
import { userAdd } from './commands/user.js';

const USAGE = `weft: an integration platform

Usage:
  weft start                         API + worker + dashboard on the embedded default (SQLite under ./data)
  weft api                           API + dashboard only (distributed mode: WEFT_DATABASE_URL, WEFT_REDIS_URL)
  weft worker [--concurrency N]      a worker only, no HTTP listener (distributed mode)
  weft migrate                       apply database migrations and exit
  weft user add --email E --password P [--name N] [--company C | --company-id ID] [--role R]
                                     create a company with its administrator, or add a user to a company
  weft flow import <file> --email E  import a flow (an export document or a bare definition) into E's company
        [--deploy] [--enable]
  weft flow run <flowId> --email E [--payload <file>] [--version ID]
                                     run a flow now in this process and print the outcome
  weft keys rotate                   re-encrypt every instance's credentials under the current key
                                     (WEFT_CREDENTIALS_KEY; old keys in WEFT_CREDENTIALS_OLD_KEYS); safe to re-run

  weft limits show|set|clear --company-id ID [--start-rate N] [--webhook-rate N] [--queued-max N]
        [--run-log-retention-days N] [--payload-retention-hours N]
                                     a company's own start rate, webhook rate and queued-runs allowance
                                     (per minute; 0 lifts the limit) and how long its run logs and payloads
                                     are kept; clear goes back to the WEFT_* defaults

Settings come from WEFT_* environment variables (docs/config.md).`;

async function main(argv: string[]): Promise<number> {
  const [command, sub, ...rest] = argv;
  switch (command) {
    case 'start':
      return start();
    case 'api':
      return api();
    case 'worker':
      return worker(parse(sub === undefined ? [] : [sub, ...rest], { concurrency: 's' }).values);
    case 'migrate':
      return migrate();
    case 'user':
      if (sub === 'add')
        return userAdd(parse(rest, { email: 's', password: 's', name: 's', company: 's', 'company-id': 's', role: 's' }).values);
      break;
    case 'limits':
      return limits(
        sub,
        parse(rest, {
          'company-id': 's',
          'start-rate': 's',
          'webhook-rate': 's',
          'queued-max': 's',
          'run-log-retention-days': 's',
          'payload-retention-hours': 's',
        }).values,
      );
    case 'keys':
      if (sub === 'rotate') return keysRotate();
      break;
    case 'flow': {
      const { values, positionals } = parse(rest, { email: 's', payload: 's', version: 's', deploy: 'b', enable: 'b' });
      if (sub === 'import' && positionals[0]) return flowImport(positionals[0], values);
      if (sub === 'run' && positionals[0]) return flowRun(positionals[0], values);
      break;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return command === undefined ? 1 : 0;
  }
  console.error(`weft: unknown command "${argv.join(' ')}"\n\n${USAGE}`);
  return 1;
}

function parse(args: string[], spec: Record<string, 's' | 'b'>) {
  const options = Object.fromEntries(
    Object.entries(spec).map(([k, t]) => [k, { type: t === 's' ? ('string' as const) : ('boolean' as const) }]),
  );
  return parseArgs({ args, options, allowPositionals: true }) as {
    values: Record<string, string | boolean | undefined>;
    positionals: string[];
  };
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (err) => {
    console.error(`weft: ${err instanceof Error ? err.message : String(err)}`);
    // Exit now: a start that failed half-way may hold database pools and Redis connections open,
    // and a process that stays alive without working looks healthy to whatever supervises it.
    process.exit(1);
  },
);
