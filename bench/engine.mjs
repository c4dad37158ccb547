#!/usr/bin/env node
// The engine alone, no server, no I/O (quality.md §4: "engine overhead per step, excluding I/O:
// under 50 µs for a 10-record map"). Runs the W1 map config:
//   - map step: the map shape on a 10-record payload made from bytes, output serialised (what a
//     step costs the worker: parse in, map, bytes out),
//   - map.execute only: the same payload already parsed, output not serialised,
//   - executeRun trigger → map with MemoryJournal (one whole run of two steps),
//   - a 40 000-record map step (W2's records), to see that cost grows linearly,
// reporting the median over batches after warm-up, and heap allocated per step.
//
// Needs the build (npm run build) and, for allocation figures, --expose-gc; run it as
//   npm run bench -- --engine      or
//   node --expose-gc bench/engine.mjs [--quick]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { customers, expectedMapping } from './lib/customers.mjs';
import { fmt, percentile, table } from './lib/stats.mjs';

const ROOT = path.resolve(import.meta.dirname, '..');
const FIXTURES = path.resolve(ROOT, '..', 'shared', 'fixtures');
const { values: args } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const QUICK = args.quick;
const BUDGET_US = 50;

let engine;
try {
  engine = await import(new URL('../packages/engine/dist/index.js', import.meta.url));
} catch (err) {
  console.error(`bench/engine: cannot load packages/engine/dist (run npm run build first): ${err.message}`);
  process.exit(2);
}
const { Payload, MemoryJournal, executeRun, shapeRegistry } = engine;

const flowDoc = JSON.parse(readFileSync(path.join(ROOT, 'examples', 'flows', 'customers-to-crm.json'), 'utf8'));
const mapStep = flowDoc.definition.steps.find((s) => s.shape === 'map');
const trigger = flowDoc.definition.steps.find((s) => s.shape === 'trigger');
const shapes = shapeRegistry();
const mapShape = shapes.get('map');
const input10 = Buffer.from(JSON.parse(readFileSync(path.join(FIXTURES, 'customers-10.payload.json'), 'utf8')).payload, 'utf8');
const expected10 = JSON.parse(readFileSync(path.join(FIXTURES, 'customers-10.mapped.json'), 'utf8'));

const services = {
  http: { request: () => Promise.reject(new Error('no network in the engine benchmark')), close: async () => {} },
  now: () => new Date(),
  sleep: () => Promise.resolve(),
};
const runInfo = {
  id: 'run_bench',
  companyId: 'co_bench',
  flowId: 'flow_bench',
  versionId: 'ver_bench',
  trigger: 'api',
  queuedAt: new Date().toISOString(),
};
const signal = new AbortController().signal;

function ctx(step) {
  return {
    step,
    config: step.config,
    run: runInfo,
    variables: {},
    attempt: 1,
    itemKey: `trigger>${step.id}`,
    signal,
    log: () => {},
    services,
  };
}
const mapCtx = ctx(mapStep);

/** Parse in, map, bytes out: one map step as the worker pays for it. */
async function mapStepFromBytes(bytes) {
  const result = await mapShape.execute(mapCtx, [Payload.fromBytes(bytes, 'json')]);
  return result.payloads[0].bytes();
}

const parsed10 = Payload.fromBytes(input10, 'json');
parsed10.value();
async function mapExecuteOnly() {
  return mapShape.execute(mapCtx, [parsed10]);
}

const definition = { format: 'json', variables: {}, steps: [trigger, mapStep], edges: [{ from: trigger.id, to: mapStep.id }] };
async function runTriggerMap() {
  const journal = new MemoryJournal();
  const outcome = await executeRun({
    run: runInfo,
    definition,
    input: Payload.fromBytes(input10, 'json'),
    variables: {},
    journal,
    services,
    shapes,
    retryBaseMs: 1,
  });
  if (outcome.status !== 'success') throw new Error(`executeRun: ${JSON.stringify(outcome)}`);
  return journal;
}

// Correctness first: the figures mean nothing if the mapping is wrong.
const out10 = JSON.parse((await mapStepFromBytes(input10)).toString('utf8'));
if (JSON.stringify(out10) !== JSON.stringify(expected10)) {
  console.error('bench/engine: the map step output differs from customers-10.mapped.json');
  console.error(JSON.stringify(out10).slice(0, 1000));
  process.exit(1);
}
const journal = await runTriggerMap();
const lastId = journal.entries.at(-1).outputs[''][0];
if (JSON.stringify(JSON.parse(journal.payloads.get(lastId).text())) !== JSON.stringify(expected10)) {
  console.error('bench/engine: executeRun trigger → map output differs from customers-10.mapped.json');
  process.exit(1);
}

// GC events, to discard allocation batches that a collection ran inside.
const gcTimes = [];
const observer = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcTimes.push([e.startTime, e.startTime + e.duration]);
});
observer.observe({ entryTypes: ['gc'] });
const canGc = typeof globalThis.gc === 'function';

/**
 * Times `fn` in batches (µs per call: median and p99 over batches, garbage collection included
 * as it falls), then, with --expose-gc, measures heap allocated per call: a gc() before each short
 * batch, heapUsed after minus before, keeping only batches no collection ran inside.
 */
async function measure(name, fn, { warmup, batches, perBatch, allocPerBatch = 20 }) {
  for (let i = 0; i < warmup; i++) await fn();
  const times = [];
  for (let b = 0; b < batches; b++) {
    const t0 = performance.now();
    for (let i = 0; i < perBatch; i++) await fn();
    times.push(((performance.now() - t0) * 1000) / perBatch);
  }
  const allocs = [];
  if (canGc) {
    for (let b = 0; b < Math.min(batches, 50); b++) {
      globalThis.gc();
      const h0 = process.memoryUsage().heapUsed;
      const t0 = performance.now();
      for (let i = 0; i < allocPerBatch; i++) await fn();
      const t1 = performance.now();
      allocs.push({ t0, t1, bytes: (process.memoryUsage().heapUsed - h0) / allocPerBatch });
    }
    await new Promise((r) => setTimeout(r, 50)); // let the gc observer catch up
  }
  const clean = allocs.filter((a) => !gcTimes.some(([s, e]) => s < a.t1 && e > a.t0)).map((a) => a.bytes);
  return {
    name,
    calls: batches * perBatch,
    us_median: percentile(times, 50),
    us_p99: percentile(times, 99),
    alloc_bytes_per_call: clean.length ? percentile(clean, 50) : undefined,
    alloc_batches_clean: canGc ? `${clean.length}/${allocs.length}` : '-',
  };
}

const small = QUICK ? { warmup: 2_000, batches: 20, perBatch: 100 } : { warmup: 10_000, batches: 100, perBatch: 200 };
const rows = [];
rows.push({
  ...(await measure('map step, 10 records (parse + map + serialise)', () => mapStepFromBytes(input10), small)),
  records: 10,
  per: 'step',
});
rows.push({ ...(await measure('map.execute only, 10 records (pre-parsed)', mapExecuteOnly, small)), records: 10, per: 'step' });
const run = await measure('executeRun trigger → map, MemoryJournal', runTriggerMap, small);
rows.push({ ...run, records: 10, per: 'run (2 steps)' });

// W2's records (with their padding notes) at two sizes, to see that cost per record stays flat.
const bigRows = [];
for (const count of QUICK ? [4_000] : [4_000, 40_000]) {
  const big = customers(count, Math.round((8 * 1024 * 1024 * count) / 40_000));
  const bigBytes = Buffer.from(big.json, 'utf8');
  const bigOut = JSON.parse((await mapStepFromBytes(bigBytes)).toString('utf8'));
  if (JSON.stringify(bigOut) !== JSON.stringify(expectedMapping(big.records))) {
    console.error(`bench/engine: the ${count}-record map step output differs from the expected mapping`);
    process.exit(1);
  }
  const m = await measure(`map step, ${count} records (${fmt(bigBytes.length / 1048576, 1)} MiB)`, () => mapStepFromBytes(bigBytes), {
    warmup: 1,
    batches: QUICK || count > 10_000 ? 3 : 10,
    perBatch: 1,
    allocPerBatch: 1,
  });
  m.records = count;
  m.per = 'step';
  bigRows.push(m);
  rows.push(m);
}
observer.disconnect();

const headline = rows[0];
console.log(
  `\nWeft engine micro-benchmark, Node ${process.version}${QUICK ? ', QUICK' : ''}${canGc ? '' : ' (no --expose-gc: no allocation figures)'}\n`,
);
console.log(
  table([
    ['case', 'per', 'µs median', 'µs p99', 'µs/record', 'KB alloc/call', 'clean batches'],
    ...rows.map((r) => [
      r.name,
      r.per,
      fmt(r.us_median, 1),
      fmt(r.us_p99, 1),
      fmt(r.us_median / r.records, 2),
      fmt(r.alloc_bytes_per_call === undefined ? undefined : r.alloc_bytes_per_call / 1024, 1),
      r.alloc_batches_clean,
    ]),
  ]),
);
const held = headline.us_median < BUDGET_US;
const perRecord = (r) => r.us_median / r.records;
const [firstBig, lastBig] = [bigRows[0], bigRows.at(-1)];
console.log(`\nbudget: engine step (10-record map) ${fmt(headline.us_median, 1)} µs < ${BUDGET_US} µs: ${held ? 'held' : 'MISSED'}`);
console.log(
  `scaling: µs per record ${fmt(perRecord(headline), 2)} at 10 records, ` +
    bigRows.map((r) => `${fmt(perRecord(r), 2)} at ${r.records}`).join(', ') +
    (bigRows.length > 1
      ? ` (${lastBig.records} vs ${firstBig.records}: ${fmt(perRecord(lastBig) / perRecord(firstBig), 2)}×; 1.0 = linear)`
      : ''),
);

const dir = path.join(import.meta.dirname, 'results');
mkdirSync(dir, { recursive: true });
const results = { started_at: new Date().toISOString(), node: process.version, quick: QUICK, budget_us: BUDGET_US, held, rows };
const file = path.join(dir, `engine-${results.started_at.replace(/[:.]/g, '-')}.json`);
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(path.join(dir, 'engine-latest.json'), `${JSON.stringify(results, null, 2)}\n`);
console.log(`results: ${path.relative(process.cwd(), file)} (and bench/results/engine-latest.json)`);
