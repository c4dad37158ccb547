import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSystem, loadConfig, type System } from '../../packages/server/src/index.js';
import { CANARY, findCanaryLeaks, leakError } from '../../packages/server/src/test-support/canary.js';
import { customersToCrm } from '../../packages/server/src/test-support/flows.js';
import { startSink } from '../../packages/server/src/test-support/sink.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIST_INDEX = path.join(ROOT, 'packages/web/dist/index.html');
// The README's screenshots are refreshed only on request (WEFT_UPDATE_SCREENSHOTS=1 npm test), so an
// ordinary test run leaves the work tree clean; otherwise they go to the ignored .tmp folder.
const SCREENSHOTS = path.join(ROOT, process.env.WEFT_UPDATE_SCREENSHOTS === '1' ? 'docs/screenshots' : '.tmp/screenshots');
const FIXTURES = path.join(ROOT, '../shared/fixtures');
const CHROMIUM = '/usr/bin/chromium';
const PASSWORD = `correct horse battery staple ${CANARY}`;
const EMAIL = 'jane@acme.test';

type Transform = { fn: string; args?: Record<string, unknown> };
type Rule = { source?: string; sources?: string[]; target: string; transforms?: Transform[] };
const W1_RULES = (customersToCrm('http://unused').steps[1]!.config as { rules: Rule[] }).rules;

// Requests the tests make fail on purpose (wrong password, invalid definition); Chromium logs each as a console error.
const EXPECTED_CONSOLE = /Failed to load resource: the server responded with a status of (401|422)/;

describe.skipIf(!existsSync(CHROMIUM))('the dashboard in a browser', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'weft-browser-'));
  let system: System;
  let sink: Awaited<ReturnType<typeof startSink>>;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let base: string;
  const consoleErrors: string[] = [];
  // Filled in by the journey, in order.
  const ids = { flow: '', version: '', apiKey: '', run: '' };

  beforeAll(async () => {
    if (!existsSync(DIST_INDEX)) throw new Error('packages/web/dist is missing: run `npm run build` first (npm test does).');
    sink = await startSink();
    system = await createSystem(loadConfig({}, { dataDir, port: 0, egressAllow: ['127.0.0.1'], logLevel: 'silent' }));
    await system.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(system.app.server.address() as { port: number }).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, baseURL: base });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    page.on('console', (msg) => {
      if (msg.type() === 'error' && !EXPECTED_CONSOLE.test(msg.text())) consoleErrors.push(msg.text());
    });
    page.on('pageerror', (err) => consoleErrors.push(`page error: ${err.message}`));
    mkdirSync(SCREENSHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await system?.close();
    await sink?.close();
    // Leak canaries, before the data goes: no file of the data directory may hold the password or the API key.
    const leaks = await findCanaryLeaks({ dataDir, config: { databaseSchema: '' }, secrets: ids.apiKey ? [ids.apiKey] : [] });
    rmSync(dataDir, { recursive: true, force: true });
    const error = leakError(leaks, 'dashboard journey server');
    if (error !== undefined) throw error;
  });

  // A failing step leaves a picture of the page behind (in the git-ignored .tmp/) to see why.
  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail' || !page) return;
    mkdirSync(path.join(ROOT, '.tmp/browser'), { recursive: true });
    await page.screenshot({ path: path.join(ROOT, '.tmp/browser', `${ctx.task.name.replace(/\W+/g, '-')}.png`), fullPage: true });
  });

  const clipboard = () => page.evaluate(() => navigator.clipboard.readText());

  it('registers a company, and refuses a wrong password with a readable message', async () => {
    await page.goto('/');
    await page.waitForURL('**/login');
    await page.getByRole('link', { name: 'Register your company' }).click();
    await page.getByLabel('Company').fill('Acme Ltd');
    await page.getByLabel('Your name').fill('Jane Smith');
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password (at least 10 characters)').fill(PASSWORD);
    await page.getByRole('button', { name: 'Register' }).click();
    await page.getByRole('heading', { name: 'Flows' }).waitFor();
    await expect(page.getByText('No flows yet')).toBeTruthy();

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL('**/login');
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Log in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/credentials|password|email/i);

    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Flows' }).waitFor();
  });

  it('creates a flow whose id is shown above its title and copies it', async () => {
    await page.getByLabel('New flow name').fill('Customers to CRM');
    await page.getByRole('button', { name: 'Create flow' }).click();
    const title = page.getByRole('heading', { level: 1, name: 'Customers to CRM' });
    await title.waitFor();
    const idEl = page.getByTestId('flow-id');
    ids.flow = (await idEl.textContent()) ?? '';
    expect(ids.flow).toMatch(/^[0-9a-f-]{36}$/);
    expect(page.url()).toContain(ids.flow);
    const [idBox, titleBox] = [await idEl.boundingBox(), await title.boundingBox()];
    expect(idBox!.y + idBox!.height).toBeLessThanOrEqual(titleBox!.y + 1);
    await page.getByRole('button', { name: 'Copy flow id' }).click();
    expect(await clipboard()).toBe(ids.flow);
  });

  it('adds a map step, types the rules and sees the preview', async () => {
    await page.getByRole('button', { name: 'Add Map step' }).click();
    await page.getByTestId('settings-panel').waitFor();
    for (const [i, rule] of W1_RULES.entries()) {
      const n = i + 1;
      await page.getByRole('button', { name: 'Add rule' }).click();
      await page.getByLabel(`Source of rule ${n}`, { exact: true }).fill(rule.sources ? rule.sources.join(', ') : (rule.source ?? ''));
      await page.getByLabel(`Target of rule ${n}`, { exact: true }).fill(rule.target);
      for (const t of rule.transforms ?? []) {
        await page.getByLabel(`Transform to add to rule ${n}`, { exact: true }).selectOption(t.fn);
        await page
          .getByLabel(`Arguments (JSON) of the transform for rule ${n}`, { exact: true })
          .fill(t.args ? JSON.stringify(t.args) : '');
        await page.getByRole('button', { name: `Add transform to rule ${n}`, exact: true }).click();
      }
    }
    await expect(await page.getByRole('list', { name: 'Transforms of rule 2' }).textContent()).toContain('concat');

    const sample = (JSON.parse(readFileSync(path.join(FIXTURES, 'customers-10.payload.json'), 'utf8')) as { payload: string }).payload;
    await page.getByLabel('Sample payload (JSON, XML, CSV or text)').fill(sample);
    const output = page.getByTestId('map-preview-output');
    await output.waitFor();
    const expected = JSON.parse(readFileSync(path.join(FIXTURES, 'customers-10.mapped.json'), 'utf8'));
    await page.waitForFunction((want) => {
      const text = document.querySelector('[data-testid="map-preview-output"]')?.textContent ?? '';
      try {
        return JSON.stringify(JSON.parse(text)) === want;
      } catch {
        return false;
      }
    }, JSON.stringify(expected));
    await output.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'map-editor.png') });
  });

  it('shows the problems of an invalid definition on the offending step', async () => {
    await page.getByRole('button', { name: 'Add Connector step' }).click();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('step-problems-connector').waitFor();
    // The connector has no URL yet and nothing connects to it: both are said on the step.
    const panel = page.getByTestId('settings-panel');
    expect(await panel.textContent()).toContain('must not be empty');
    expect(await panel.textContent()).toContain('no incoming edge');
    expect(await page.getByTestId('step-problems-map').count()).toBe(1);
  });

  it('connects trigger → map → connector, saves and deploys', async () => {
    await page.getByLabel('URL').fill(`${sink.url}/customers`);
    await page.getByRole('button', { name: 'Add header' }).click();
    await page.getByLabel('Header name').fill('Content-Type');
    await page.getByLabel('Header value').fill('application/json');
    await page.getByRole('button', { name: 'Close step settings' }).click();
    await page.getByRole('button', { name: 'Fit View' }).click();

    await connect(page, 'trigger', 'map');
    await connect(page, 'map', 'connector');
    expect(await page.locator('.react-flow__edge').count()).toBe(2);

    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved version 1.').waitFor();
    expect(await page.locator('.step-problems').count()).toBe(0);
    await page.getByRole('button', { name: 'Fit View' }).click();
    await page.getByRole('button', { name: 'Deploy' }).click();
    await page.getByText('Deployed version 1').waitFor();
    await page.getByTestId('version-2').waitFor();

    ids.version = (await page.getByTestId('version-id-1').textContent()) ?? '';
    expect(ids.version).toMatch(/^[0-9a-f-]{36}$/);
    expect(await page.getByTestId('version-1').textContent()).toContain('deployed');
    expect(await page.getByTestId('version-2').textContent()).toContain('draft');
    await page.getByRole('button', { name: 'Copy id of version 1' }).click();
    expect(await clipboard()).toBe(ids.version);
    // The deployed version is read-only: no palette, a copy-to-draft button instead of save.
    await page.getByRole('button', { name: 'Copy to draft' }).waitFor();
    expect(await page.getByRole('button', { name: 'Add Map step' }).isDisabled()).toBe(true);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'canvas.png') });
  });

  it('creates an API key that is shown once', async () => {
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByLabel('Key name').fill('warehouse');
    await page.getByRole('button', { name: 'Create key' }).click();
    ids.apiKey = (await page.getByTestId('new-api-key').textContent()) ?? '';
    expect(ids.apiKey.length).toBeGreaterThan(20);
    await page.getByRole('button', { name: 'Copy new API key' }).click();
    expect(await clipboard()).toBe(ids.apiKey);
    expect(await page.getByRole('cell', { name: 'warehouse', exact: true }).count()).toBe(1);
  });

  it('starts the flow with the API key and shows the run and its payloads', async () => {
    const res = await fetch(`${base}/api/v1/flows/${ids.flow}/start/${ids.version}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ids.apiKey}`, 'content-type': 'application/json' },
      body: readFileSync(path.join(FIXTURES, 'customers-10.payload.json')),
    });
    const started = (await res.json()) as { message: string; flow_run_id: string };
    expect(res.status, JSON.stringify(started)).toBe(200);
    expect(started.message).toBe('Flow initialised.');
    ids.run = started.flow_run_id;

    await page.getByRole('link', { name: 'Runs', exact: true }).click();
    const row = page.getByTestId(`run-row-${ids.run}`);
    await row.waitFor();
    await row.getByText('success').waitFor({ timeout: 15_000 });
    await row.getByRole('link').click();
    expect(await page.getByTestId('run-id').textContent()).toBe(ids.run);
    await page.getByRole('heading', { name: /Run/ }).getByText('success').waitFor();

    const entries = page.getByTestId('log-entry');
    expect(await entries.count()).toBeGreaterThanOrEqual(3);
    const mapEntry = entries
      .filter({ hasText: 'Customers' })
      .or(entries.filter({ hasText: 'map' }))
      .first();
    await mapEntry.getByRole('button', { name: /Payloads/ }).click();
    await mapEntry.locator('pre').last().getByText('"customerId": 1000000001').waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'run-detail.png'), fullPage: true });

    await sink.waitFor(1);
    expect(JSON.parse(sink.deliveries[0]!.body)).toEqual(JSON.parse(readFileSync(path.join(FIXTURES, 'customers-10.mapped.json'), 'utf8')));
  });

  it('runs the flow from its page with a pasted payload and filters the run list', async () => {
    await page.getByRole('link', { name: 'Flows', exact: true }).click();
    await page.getByRole('link', { name: 'Customers to CRM' }).click();
    await page.getByRole('button', { name: 'Run with payload' }).click();
    await page
      .getByLabel('Payload (JSON, XML, CSV or text)')
      .fill('[{"id":1,"first_name":"Ada","last_name":"Lovelace","email":" ADA@X.TEST","total":"1.5"}]');
    await page.getByRole('button', { name: 'Start run' }).click();
    await page.waitForURL('**/runs/*');
    await page.getByRole('heading', { name: /Run/ }).getByText('success').waitFor({ timeout: 15_000 });
    expect(await page.locator('.summary').textContent()).toContain('manual');
    await sink.waitFor(2);
    expect(JSON.parse(sink.deliveries[1]!.body)).toEqual([
      { customerId: 1, fullName: 'Ada Lovelace', email: 'ada@x.test', totalPence: 150 },
    ]);

    await page.getByRole('link', { name: 'Runs', exact: true }).click();
    await page.getByTestId(`run-row-${ids.run}`).waitFor();
    await page.getByLabel('Status').selectOption('failure');
    await page.getByText('No runs match these filters').waitFor();
    await page.getByLabel('Status').selectOption('success');
    await page.getByTestId(`run-row-${ids.run}`).waitFor();
  });

  it('logged no console errors', () => {
    expect(consoleErrors).toEqual([]);
  });
});

/** Drags from one step's output handle to another's input handle, as a user connects steps. */
async function connect(page: Page, from: string, to: string): Promise<void> {
  const source = page.locator(`[data-testid="step-${from}"] .react-flow__handle.source`);
  const target = page.locator(`[data-testid="step-${to}"] .react-flow__handle.target`);
  const a = (await source.boundingBox())!;
  const b = (await target.boundingBox())!;
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 5 });
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 5 });
  await page.mouse.up();
}
