import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Dashboard, HAS_CHROMIUM, openDashboard, PASSWORD, screenshotFailure, unlabelledControls } from './dashboard-support.js';

const BROKEN = 'function main({ payload }) {\n  return { payload: payload.n +* 2 };\n}\n';
const WORKING =
  'function main({ payload }) {\n  console.log("doubling", payload.n);\n  return { payload: { doubled: payload.n * 2 } };\n}\n';

describe.skipIf(!HAS_CHROMIUM)('scripts, lookup tables, data pools, caches, tracked data and notification groups in a browser', () => {
  let d: Dashboard;
  let page: Page;

  beforeAll(async () => {
    d = await openDashboard();
    page = d.page;
  });
  afterAll(() => d?.close());
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await screenshotFailure(page, `resources-${ctx.task.name}`);
  });

  /** Replaces the text of the CodeMirror editor, as pasting would (typing would meet auto-closed brackets). */
  const setCode = async (code: string) => {
    const content = page.getByRole('textbox', { name: /^Code of the draft of/ });
    await content.click();
    await page.keyboard.press('Control+a');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(code);
  };

  it('creates a script, shows where it does not compile, deploys it and runs it on a sample', async () => {
    await page.goto('/scripts');
    await page.getByText('No scripts yet.').waitFor();
    await page.getByLabel('New script name').fill('Doubler');
    await page.getByRole('button', { name: 'Create script' }).click();
    await page.getByRole('heading', { name: 'Doubler' }).waitFor();
    // The editor is CodeMirror with JavaScript highlighting, loaded on demand.
    await page.locator('.cm-editor').waitFor();
    expect(await unlabelledControls(page)).toEqual([]);

    // Tab indents inside the editor; Escape then Tab moves on, so the keyboard is never trapped.
    await page.getByRole('textbox', { name: /^Code of the draft of/ }).click();
    await page.keyboard.press('Tab');
    const inEditor = () => page.evaluate(() => !!document.activeElement?.closest('.cm-editor'));
    expect(await inEditor()).toBe(true);
    await page.keyboard.press('Escape');
    await page.keyboard.press('Tab');
    expect(await inEditor()).toBe(false);

    await setCode(BROKEN);
    await page.getByRole('button', { name: 'Deploy' }).click();
    const problem = page.getByTestId('compile-problems').getByRole('button', { name: /^Go to line 2, column \d+/ });
    await problem.waitFor();
    await problem.click();
    // The cursor moves to the problem's line.
    await expect.poll(() => page.locator('.cm-activeLine').textContent()).toContain('payload.n +* 2');
    const scripts = await d.api<{ data: Array<{ deployed_version: number | null }> }>('GET', '/scripts');
    expect(scripts.body.data[0]!.deployed_version).toBeNull();

    await setCode(WORKING);
    await page.getByRole('button', { name: 'Deploy' }).click();
    await page.getByText('Deployed version 1.').waitFor();
    await page.getByText(/Version 1\s*deployed/).waitFor();
    expect(await page.getByTestId('compile-problems').count()).toBe(0);

    await page.getByLabel('Sample payload (JSON)').fill('{"n": 21}');
    await page.getByRole('button', { name: 'Run the test' }).click();
    const result = page.getByTestId('script-test-result');
    await result.getByText('"doubled": 42').waitFor();
    await result.getByText('doubling').waitFor();

    // Change the draft, then run the deployed version: it still doubles.
    await setCode('function main() {\n  return { payload: "draft" };\n}\n');
    await page.getByRole('button', { name: 'Save draft' }).click();
    await page.getByText('Saved the draft (version 2).').waitFor();
    await page.getByLabel('Code to run').selectOption('1');
    await page.getByLabel('Variables (optional JSON object of strings)').fill('{"region": "uk"}');
    await page.getByRole('button', { name: 'Run the test' }).click();
    await result.getByText('"doubled": 42').waitFor();
    await page.getByLabel('Code to run').selectOption('');
    await page.getByRole('button', { name: 'Run the test' }).click();
    await result.getByText('"draft"').waitFor();
    await page.getByLabel('Variables (optional JSON object of strings)').fill('{nope');
    await page.getByRole('button', { name: 'Run the test' }).click();
    await page
      .getByRole('alert')
      .getByText(/The variables are not JSON/)
      .waitFor();

    // An older version's code can be read and put back into the draft.
    await page.getByRole('button', { name: 'Show the code of version 1' }).click();
    await page.getByTestId('version-code').getByText('doubling', { exact: false }).waitFor();
    await page.getByRole('button', { name: 'Put this code in the draft' }).click();
    await expect.poll(() => page.getByRole('textbox', { name: /^Code of the draft of/ }).textContent()).toContain('doubling');
    await page.getByRole('button', { name: 'Save draft' }).click();
    await page.getByText('Saved the draft (version 2).').waitFor();

    // A name the server refuses names its field; the description and the language change.
    await page.getByText('Rename or describe').click();
    await page.getByLabel('Name of the script').fill('Doubler!');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('alert').locator('code', { hasText: 'name' }).waitFor();
    await page.getByLabel('Name of the script').fill('Doubler');
    await page.getByLabel('Description', { exact: true }).fill('Doubles n');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Doubles n · JavaScript').waitFor();
    await page.getByRole('combobox', { name: /^Language/ }).selectOption('typescript');
    await page.getByText('The draft is now TypeScript').waitFor();
    await setCode('function main({ payload }: { payload: { n: number } }) {\n  return { payload: payload.n + 1 };\n}\n');
    await page.getByRole('button', { name: 'Deploy' }).click();
    await page.getByText('Deployed version 2.').waitFor();
  });

  it('imports a lookup table from a CSV file, pages, edits, deletes and exports its rows', async () => {
    await page.goto('/lookup-tables');
    await page.getByText('No lookup tables yet.').waitFor();
    await page.getByLabel('New lookup table name').fill('Countries');
    await page.getByRole('button', { name: 'Create lookup table' }).click();
    await page.getByRole('heading', { name: 'Countries' }).waitFor();
    await page.getByText('No rows yet.').waitFor();
    expect(await unlabelledControls(page)).toEqual([]);

    // A bad file: the server's message names the line and nothing changes.
    await page.getByLabel(/^CSV file/).setInputFiles({ name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from('left,right\n,x\n') });
    await page.getByRole('button', { name: 'Import the file' }).click();
    await page.getByRole('alert').filter({ hasText: /line/ }).waitFor();

    const lines = ['left,right', ...Array.from({ length: 30 }, (_, i) => `C${String(i).padStart(2, '0')},Country ${i}`)];
    await page
      .getByLabel(/^CSV file/)
      .setInputFiles({ name: 'countries.csv', mimeType: 'text/csv', buffer: Buffer.from(lines.join('\n')) });
    await page.getByRole('button', { name: 'Import the file' }).click();
    await page.getByText('Imported the file: the table has 30 rows.').waitFor();
    const rows = page.getByTestId('lookup-rows').locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(25);
    await page.getByRole('button', { name: 'Next page' }).click();
    await expect.poll(() => rows.count()).toBe(5);
    await page.getByRole('button', { name: 'Previous page' }).click();

    await page.getByRole('button', { name: 'Edit C01' }).click();
    await page.getByLabel('Right value of C01').fill('Changed');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Saved the row C01.').waitFor();
    await page.getByTestId('lookup-rows').getByText('Changed').waitFor();

    await page.getByRole('button', { name: 'Delete C00' }).click();
    await page.getByText('Removed the row C00.').waitFor();
    await expect.poll(() => page.getByTestId('row-count').textContent()).toBe('29');

    await page.getByLabel('New left value').fill('ZZ');
    await page.getByLabel('New right value').fill('Last');
    await page.getByRole('button', { name: 'Add row' }).click();
    await page.getByText('Added the row ZZ → Last.').waitFor();

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    expect(download.suggestedFilename()).toBe('Countries.csv');
    const csv = readFileSync(await download.path(), 'utf8');
    expect(csv).toContain('C01,Changed');
    expect(csv).toContain('ZZ,Last');
    expect(csv).not.toContain('C00,');
  });

  it('imports values into a data pool from a CSV file, exports and forgets them', async () => {
    await page.goto('/data-pools');
    await page.getByText('No data pools yet.').waitFor();
    await page.getByLabel('New data pool name').fill('seen-orders');
    await page.getByRole('button', { name: 'Create data pool' }).click();
    await page.getByRole('heading', { name: 'seen-orders' }).waitFor();
    await page.getByText(/^No values yet/).waitFor();
    expect(await unlabelledControls(page)).toEqual([]);

    await page
      .getByLabel(/^CSV file/)
      .setInputFiles({ name: 'v.csv', mimeType: 'text/csv', buffer: Buffer.from('value\nORD-1\nORD-2\nX-9\n') });
    await page.getByRole('button', { name: 'Import the file' }).click();
    await page.getByText('Imported 3 values.').waitFor();
    const rows = page.getByTestId('pool-values').locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(3);
    await page.getByLabel('Values starting with').fill('ORD');
    await expect.poll(() => rows.count()).toBe(2);
    await page.getByLabel('Values starting with').fill('');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    expect(readFileSync(await download.path(), 'utf8')).toContain('X-9');

    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Forget all values' }).click();
    await page.getByText('Forgot 3 values.').waitFor();
    await page.getByText(/^No values yet/).waitFor();

    // A name the server refuses shows its message and field; a good one is saved.
    await page.getByText('Rename or describe').click();
    await page.getByLabel('Name of the data pool').fill('seen orders!');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('alert').locator('code', { hasText: 'name' }).waitFor();
    await page.getByLabel('Name of the data pool').fill('seen-orders-2');
    await page.getByLabel('Description', { exact: true }).fill('Orders already sent');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('heading', { name: 'seen-orders-2' }).waitFor();
    await page.getByText('Orders already sent ·').waitFor();
  });

  it('finds a value a run tracked, by entity, value and day, and links to the run; shows what a cache holds', async () => {
    const flow = await d.api<{ data: { id: string; draft_version_id: string } }>('POST', '/flows', {
      name: 'Order tracking',
      definition: {
        steps: [
          { id: 'trigger', shape: 'trigger', config: {} },
          { id: 'track', shape: 'track_data', config: { fields: [{ path: 'order', entity: 'order' }] } },
          { id: 'keep', shape: 'cache_add', config: { cache: 'orders', key: 'last' } },
        ],
        edges: [
          { from: 'trigger', to: 'track' },
          { from: 'track', to: 'keep' },
        ],
      },
    });
    expect(flow.status).toBe(201);
    const deployed = await d.api('POST', `/flow-versions/${flow.body.data.draft_version_id}/deploy`, { enable: true });
    expect(deployed.status).toBe(200);
    const started = await d.api<{ flow_run_id: string }>('POST', `/flows/${flow.body.data.id}/start`, {
      payload: JSON.stringify({ order: 'LMUK62388' }),
    });
    expect(started.status).toBe(200);
    const tracked = async () => (await d.api<{ meta: { total: number } }>('GET', '/tracked-data')).body.meta.total;
    for (let i = 0; i < 100 && (await tracked()) < 1; i++) await new Promise((r) => setTimeout(r, 200));
    expect(await tracked()).toBe(1);

    await page.goto('/tracked-data');
    const rows = page.getByTestId('tracked-data').locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await unlabelledControls(page)).toEqual([]);
    await page.getByLabel('Entity').fill('order');
    await page.getByLabel('Value (exact)').fill('LMUK6238');
    await page.getByText('Nothing tracked matches these filters.').waitFor();
    await page.getByLabel('Value (exact)').fill('LMUK62388');
    await expect.poll(() => rows.count()).toBe(1);
    const today = new Date().toISOString().slice(0, 10);
    await page.getByLabel('From day').fill(today);
    await page.getByLabel('To day (included)').fill(today);
    await expect.poll(() => rows.count()).toBe(1);
    await page.getByLabel('From day').fill('2000-01-01');
    await page.getByLabel('To day (included)').fill('2000-01-02');
    await page.getByText('Nothing tracked matches these filters.').waitFor();
    await page.getByLabel('From day').fill('');
    await page.getByLabel('To day (included)').fill('');
    await page.getByRole('combobox', { name: /^Flow/ }).selectOption({ label: 'Order tracking' });
    await expect.poll(() => rows.count()).toBe(1);
    // A link can open the search already filtered.
    await page.goto('/tracked-data?entity=order&value=NOPE');
    await page.getByText('Nothing tracked matches these filters.').waitFor();
    await page.goto('/tracked-data?entity=order&value=LMUK62388');
    expect(await page.getByLabel('Value (exact)').inputValue()).toBe('LMUK62388');
    await expect.poll(() => rows.count()).toBe(1);
    await page.getByRole('link', { name: 'Open the run that tracked LMUK62388' }).click();
    await page.waitForURL(`**/runs/${started.body.flow_run_id}`);

    await page.goto('/caches');
    await page.getByRole('link', { name: 'orders' }).click();
    await page.getByRole('button', { name: 'Show last' }).click();
    await page.getByText('LMUK62388').waitFor();
    await page.getByRole('button', { name: 'Remove last' }).click();
    await page.getByText('Removed the entry last.').waitFor();
    await page.getByText(/^The cache is empty/).waitFor();
  });

  it('refuses a notification group with a bad email, naming the field, then creates and edits one', async () => {
    await page.goto('/notification-groups');
    await page.getByText('No notification groups yet.').waitFor();
    await page.getByText('New notification group').click();
    await page.getByLabel('Group name').fill('On call');
    await page.getByLabel('Email addresses (one a line)').fill('ops@acme.test\nnot-an-email');
    await page.getByRole('button', { name: 'Create group' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/emails/);
    expect(await alert.locator('code').count()).toBeGreaterThan(0);

    await page.getByLabel('Email addresses (one a line)').fill('ops@acme.test\noncall@acme.test');
    await page.getByRole('button', { name: 'Create group' }).click();
    await page.getByRole('heading', { name: 'On call' }).waitFor();
    const groups = await d.api<{ data: Array<{ emails: string[] }> }>('GET', '/notification-groups');
    expect(groups.body.data[0]!.emails).toEqual(['ops@acme.test', 'oncall@acme.test']);

    await page.getByLabel('Email addresses (one a line)').fill('ops@acme.test');
    await page.getByRole('button', { name: 'Save group' }).click();
    await expect
      .poll(async () => (await d.api<{ data: Array<{ emails: string[] }> }>('GET', '/notification-groups')).body.data[0]!.emails)
      .toEqual(['ops@acme.test']);
    await page.getByText('Saved the group.').waitFor();
    expect(await page.getByTestId('group-members').locator('li').allTextContents()).toEqual(['ops@acme.test']);

    const temp = await d.api<{ data: { id: string } }>('POST', '/notification-groups', { name: 'Temp', emails: [] });
    await page.goto(`/notification-groups/${temp.body.data.id}`);
    await page.getByText(/^No members/).waitFor();
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Delete group' }).click();
    await page.waitForURL('**/notification-groups');
    await page.getByRole('link', { name: 'On call' }).waitFor();
    expect(await page.getByRole('link', { name: 'Temp' }).count()).toBe(0);
  });

  it('shows a read-only user the data without the buttons that would fail', async () => {
    const email = `reader-${Date.now()}@acme.test`;
    const added = await d.api('POST', '/users', { name: 'Rita Reader', email, password: PASSWORD, role: 'read_only' });
    expect(added.status).toBe(201);
    const login = await fetch(`${d.base}/api/v1/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    const { token } = (await login.json()) as { token: string };
    const reader = await d.context.browser()!.newContext({ viewport: { width: 1280, height: 800 }, baseURL: d.base });
    await reader.addInitScript((t) => localStorage.setItem('weft.token', t), token);
    const rp = await reader.newPage();
    const errors: string[] = [];
    rp.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    try {
      await rp.goto('/lookup-tables');
      await rp.getByRole('link', { name: 'Countries' }).click();
      await rp.getByTestId('lookup-rows').waitFor();
      expect(await rp.getByRole('button', { name: /^(Edit|Delete|Add row|Import the file|Delete table)/ }).count()).toBe(0);
      await rp.getByRole('button', { name: 'Export CSV' }).waitFor();

      await rp.goto('/scripts');
      await rp.getByRole('link', { name: 'Doubler' }).click();
      await rp.locator('.cm-editor').waitFor();
      expect(await rp.getByRole('button', { name: /^(Deploy|Save draft|Saved|Delete script|Run the test)$/ }).count()).toBe(0);
      expect(await rp.getByLabel('New script name').count()).toBe(0);

      await rp.goto('/notification-groups');
      await rp.getByRole('link', { name: 'On call' }).waitFor();
      expect(await rp.getByText('New notification group').count()).toBe(0);
      expect(errors).toEqual([]);
    } finally {
      await reader.close();
    }
  });

  it('fits these pages on a 375 px phone screen', async () => {
    await page.setViewportSize({ width: 375, height: 667 });
    try {
      const overflows = () =>
        page.evaluate(() => {
          const wide = (el: Element | null) => !!el && el.scrollWidth > el.clientWidth + 1;
          return {
            page: wide(document.scrollingElement),
            content: wide(document.querySelector('.content')),
            widest: [...document.querySelectorAll('.content *')]
              // Table heads are visually hidden on a phone; code lines scroll inside the editor's own box.
              .filter((el) => !el.closest('thead, .cm-scroller') && el.getBoundingClientRect().right > window.innerWidth + 1)
              .slice(0, 3)
              .map((el) => `${el.tagName}.${el.className} ${el.textContent?.slice(0, 30)}`),
          };
        });
      const tables = await d.api<{ data: Array<{ id: string }> }>('GET', '/lookup-tables');
      await page.goto(`/lookup-tables/${tables.body.data[0]!.id}`);
      await page.getByTestId('lookup-rows').waitFor();
      expect(await overflows()).toEqual({ page: false, content: false, widest: [] });
      const scripts = await d.api<{ data: Array<{ id: string }> }>('GET', '/scripts');
      await page.goto(`/scripts/${scripts.body.data[0]!.id}`);
      await page.locator('.cm-editor').waitFor();
      expect(await overflows()).toEqual({ page: false, content: false, widest: [] });
      await page.goto('/tracked-data');
      await page.getByTestId('tracked-data').waitFor();
      expect(await overflows()).toEqual({ page: false, content: false, widest: [] });
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  it('logged no console errors', () => {
    expect(d.consoleErrors).toEqual([]);
  });
});
