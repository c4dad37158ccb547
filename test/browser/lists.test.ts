import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CANARY } from '../../packages/server/src/test-support/canary.js';
import { type Dashboard, HAS_CHROMIUM, openDashboard, PASSWORD, screenshotFailure, unlabelledControls } from './dashboard-support.js';

const SECRET = `key-${CANARY}`;

describe.skipIf(!HAS_CHROMIUM)('the flows list, users, audit log, connectors and instances in a browser', () => {
  let d: Dashboard;
  let page: Page;

  beforeAll(async () => {
    d = await openDashboard();
    page = d.page;
    // 27 flows: more than one page of 25.
    for (let i = 1; i <= 27; i++) {
      const res = await d.api('POST', '/flows', { name: `Flow ${String(i).padStart(2, '0')}`, labels: i % 2 ? ['odd'] : ['even'] });
      expect(res.status).toBe(201);
    }
  });
  afterAll(() => d?.close());
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await screenshotFailure(page, `lists-${ctx.task.name}`);
  });

  const rows = () => page.locator('table.list tbody tr');

  it('pages through the flows and finds them by name, label and state', async () => {
    await page.goto('/flows');
    await page.getByText('Page 1 of 2').waitFor();
    expect(await rows().count()).toBe(25);
    expect(await unlabelledControls(page)).toEqual([]);
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.getByText('Page 2 of 2').waitFor();
    await expect.poll(() => rows().count()).toBe(2);

    await page.getByLabel('Search by name').fill('Flow 1');
    await expect.poll(() => rows().count()).toBe(10);
    expect(await page.getByText('Page 1 of').count()).toBe(0);
    await page.getByLabel('Label', { exact: true }).fill('even');
    await expect.poll(() => rows().count()).toBe(5);
    await page.getByLabel('Search by name').fill('');
    await page.getByLabel('Label', { exact: true }).fill('');
    await page.getByRole('combobox', { name: /^Enabled/ }).selectOption('true');
    await page.getByText('No flow matches these filters.').waitFor();
    await page.getByRole('combobox', { name: /^Enabled/ }).selectOption('');
    await page.getByText('Page 1 of 2').waitFor();
  });

  it('enables and disables a flow from the list', async () => {
    await page.getByLabel('Search by name').fill('Flow 03');
    await expect.poll(() => rows().count()).toBe(1);
    const toggle = page.getByRole('checkbox', { name: 'Enabled: Flow 03' });
    await toggle.click();
    await page.getByText('Flow 03 is enabled.').waitFor();
    const flows = await d.api<{ data: Array<{ name: string; enabled: boolean }> }>('GET', '/flows?name=Flow%2003');
    expect(flows.body.data[0]!.enabled).toBe(true);
    await page.getByRole('combobox', { name: /^Enabled/ }).selectOption('true');
    await expect.poll(() => rows().count()).toBe(1);
    await toggle.click();
    await page.getByText('Flow 03 is disabled.').waitFor();
    await page.getByRole('combobox', { name: /^Enabled/ }).selectOption('');
  });

  it('duplicates, exports and imports a flow', async () => {
    await page.getByRole('button', { name: 'Duplicate Flow 03' }).click();
    await page.getByText('Duplicated as “Flow 03 (copy)”.').waitFor();
    await page.getByTestId('flow-row-Flow 03 (copy)').waitFor();

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export Flow 03', exact: true }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('flow-03.weft.json');
    const file = await download.path();
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    expect(doc).toMatchObject({ format: 'weft.flow/v1', flow: { name: 'Flow 03', labels: ['odd'] } });

    doc.flow.name = 'Flow 03 imported';
    await page.getByLabel('Import a flow (export file)').setInputFiles({
      name: 'flow.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify(doc)),
    });
    await page.getByText('Imported “Flow 03 imported”.').waitFor();
    await page.getByLabel('Search by name').fill('imported');
    await page.getByTestId('flow-row-Flow 03 imported').waitFor();

    // Not JSON, and JSON that is not an export: both say what is wrong.
    await page
      .getByLabel('Import a flow (export file)')
      .setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
    await page.getByRole('alert').getByText('notes.txt is not JSON').waitFor();
    await page.getByLabel('Import a flow (export file)').setInputFiles({
      name: 'other.json',
      mimeType: 'application/json',
      buffer: Buffer.from('{"flow":{"name":"x"}}'),
    });
    await page.getByRole('alert').getByText('versions').waitFor();
  });

  it('lists the users and adds one with a role, and says why a second one with that email is refused', async () => {
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    await page.getByRole('cell', { name: 'Jane Smith (you)' }).waitFor();
    const add = async (email: string) => {
      await page.getByLabel('Name', { exact: true }).fill('Sam Jones');
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('First password (at least 10 characters)').fill(`another long password ${CANARY}`);
      await page.getByRole('form', { name: 'Add a user' }).getByLabel('Role').selectOption('read_only');
      await page.getByRole('button', { name: 'Add user' }).click();
    };
    await add('sam@acme.test');
    await page.getByText('Added Sam Jones as read only.').waitFor();
    expect(await unlabelledControls(page)).toEqual([]);
    await page.getByRole('cell', { name: 'sam@acme.test' }).waitFor();
    expect(await page.getByLabel('Role of Sam Jones').inputValue()).toBe('read_only');
    await add('SAM@acme.test');
    await page.getByRole('alert').getByText('already taken').first().waitFor();
  });

  it('changes a user role and removes a user, and keeps the last administrator', async () => {
    const sam = async () => {
      const list = await d.api<{ data: Array<{ email: string; role: string }> }>('GET', '/users');
      return list.body.data.find((u) => u.email === 'sam@acme.test');
    };
    await page.getByLabel('Role of Sam Jones').selectOption('manager');
    await page.getByText('Sam Jones is now manager.').waitFor();
    expect((await sam())?.role).toBe('manager');

    // Jane is the only administrator: the server refuses, and the select shows the role she still has.
    await page.getByLabel('Role of Jane Smith').selectOption('user');
    await page.getByRole('alert').getByText('last administrator').waitFor();
    await expect.poll(() => page.getByLabel('Role of Jane Smith').inputValue()).toBe('administrator');
    // No Remove button on your own row.
    expect(await page.getByRole('button', { name: 'Remove Jane Smith' }).count()).toBe(0);

    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Remove Sam Jones' }).click();
    await page.getByText('Removed Sam Jones.').waitFor();
    await expect.poll(() => page.getByRole('cell', { name: 'sam@acme.test' }).count()).toBe(0);
    expect(await sam()).toBeUndefined();
    expect(await unlabelledControls(page)).toEqual([]);
  });

  it('shows the audit log, filtered by action and by day', async () => {
    await page.getByRole('link', { name: 'Audit log' }).click();
    const log = page.getByTestId('audit-log');
    await log.getByText('user.created').waitFor();
    expect(await unlabelledControls(page)).toEqual([]);
    // The actor is named when they are a user of the company.
    expect(
      await log
        .getByRole('row', { name: /user\.created/ })
        .first()
        .textContent(),
    ).toContain('Jane Smith');
    await page.getByLabel(/^Action/).fill('flow.imported');
    await expect.poll(() => log.locator('tbody tr').count()).toBe(1);
    expect(await log.textContent()).not.toContain('user.created');
    await page.getByLabel(/^Action/).fill('');
    await page.getByLabel('From day').fill('2999-01-01');
    await page.getByText('No audit entries match.').waitFor();
    const today = new Date();
    const local = `${today.getFullYear()}-${String(today.getMonth() + 1).padStart(2, '0')}-${String(today.getDate()).padStart(2, '0')}`;
    await page.getByLabel('From day').fill(local);
    await page.getByLabel('To day (included)').fill(local);
    await log.getByText('user.created').waitFor();
  });

  it("drops an administrator's controls once a refused change shows their role was lowered, without a reload", async () => {
    const added = async (name: string, role: string) => {
      const email = `${name.split(' ')[0]!.toLowerCase()}-${Date.now()}@acme.test`;
      const res = await d.api<{ data: { id: string } }>('POST', '/users', { name, email, password: PASSWORD, role });
      expect(res.status).toBe(201);
      return { id: res.body.data.id, email };
    };
    const ada = await added('Ada Admin', 'administrator');
    const rob = await added('Rob Roe', 'user');
    const login = await fetch(`${d.base}/api/v1/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: ada.email, password: PASSWORD }),
    });
    const { token } = (await login.json()) as { token: string };
    const context = await d.context.browser()!.newContext({ viewport: { width: 1280, height: 800 }, baseURL: d.base });
    await context.addInitScript((t) => localStorage.setItem('weft.token', t), token);
    const ap = await context.newPage();
    try {
      await ap.goto('/users');
      const robRole = ap.getByLabel('Role of Rob Roe');
      await robRole.waitFor();
      const nav = ap.getByRole('navigation', { name: 'Main' });
      await nav.getByRole('link', { name: 'Audit log' }).waitFor();

      // Another administrator makes Ada a manager while her page is open.
      expect((await d.api('PATCH', `/users/${ada.id}`, { role: 'manager' })).status).toBe(200);
      await robRole.selectOption('manager');
      await ap.getByRole('alert').waitFor();
      await ap.getByText('Only administrators change roles and remove users.').waitFor();
      expect(await robRole.count()).toBe(0);
      expect(await ap.getByRole('button', { name: /^Remove/ }).count()).toBe(0);
      expect(await nav.getByRole('link', { name: 'Audit log' }).count()).toBe(0);
      const users = await d.api<{ data: Array<{ id: string; role: string }> }>('GET', '/users');
      expect(users.body.data.find((u) => u.id === rob.id)?.role).toBe('user');
    } finally {
      await context.close();
    }
  });

  it('creates a connector with an endpoint and an instance whose credentials are never shown back', async () => {
    await page.getByRole('link', { name: 'Connectors' }).click();
    await page.getByText('No connectors yet').waitFor();
    await page.getByRole('button', { name: 'New connector' }).click();
    await page.getByLabel('Connector name').fill('ERP');
    await page.getByLabel('Base URL').fill('not a url');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await page.getByLabel('Name of endpoint 1').fill('push_orders');
    await page.getByLabel('Method of endpoint 1').selectOption('POST');
    await page.getByLabel('Path of endpoint 1').fill('/orders');
    await page.getByLabel('Direction of endpoint 1').selectOption('send');
    await page.getByText('Variables and auth methods (JSON)').click();
    await page.getByLabel(/^Auth methods/).fill('[{"type": "api_key", "in": "header", "param_name": "X-Api-Key"}]');
    await page.getByRole('button', { name: 'Create connector' }).click();
    // The bad base URL is named with its field.
    await page.getByRole('alert').getByText('base_url').waitFor();
    await page.getByLabel('Base URL').fill('http://127.0.0.1:9/erp');
    await page.getByRole('button', { name: 'Create connector' }).click();
    await page.getByRole('heading', { level: 1, name: 'ERP' }).waitFor();

    // Edit: a second endpoint.
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await page.getByLabel('Name of endpoint 2').fill('list_orders');
    await page.getByLabel('Path of endpoint 2').fill('/orders');
    await page.getByRole('button', { name: 'Save connector' }).click();
    await page.getByText('Saved.').waitFor();
    const connectors = await d.api<{ data: Array<{ endpoints: Array<{ name: string }> }> }>('GET', '/connectors');
    expect(connectors.body.data[0]!.endpoints.map((e) => e.name)).toEqual(['push_orders', 'list_orders']);

    await page.getByRole('button', { name: 'New instance' }).click();
    await page.getByLabel('Instance name').fill('Live ERP');
    await page.getByRole('combobox', { name: /^Auth method/ }).selectOption('api_key');
    const key = page.getByLabel('Credential key');
    expect(await key.getAttribute('type')).toBe('password');
    await key.fill(SECRET);
    await page.getByRole('button', { name: 'Create instance' }).click();
    await page.getByText('Created Live ERP.').waitFor();
    const row = page.getByTestId('instance-row-Live ERP');
    expect(await row.textContent()).toContain('set (key)');

    await row.getByRole('button', { name: 'Edit Live ERP' }).click();
    await page.getByText('Leave empty to keep them').waitFor();
    expect(await unlabelledControls(page)).toEqual([]);
    expect(await page.getByLabel('Credential key').inputValue()).toBe('');
    await page.getByLabel('Instance name').fill('Live ERP (EU)');
    await page.getByRole('button', { name: 'Save instance' }).click();
    await page.getByText('Saved Live ERP (EU).').waitFor();

    await page.getByRole('link', { name: 'Instances', exact: true }).first().click();
    await page.getByTestId('instance-row-Live ERP (EU)').waitFor();
    expect(await page.content()).not.toContain(SECRET);
    const instances = await d.api<{ data: Array<{ credentials_set: boolean }> }>('GET', '/instances');
    expect(JSON.stringify(instances.body)).not.toContain(SECRET);
    expect(instances.body.data[0]!.credentials_set).toBe(true);
  });

  it("picks a connector step's instance and endpoint from the API", async () => {
    const flow = await d.api<{ data: { id: string; draft_version_id: string } }>('POST', '/flows', { name: 'Push orders' });
    await page.goto(`/flows/${flow.body.data.id}`);
    await page.getByRole('button', { name: 'Add Connector step' }).click();
    const panel = page.getByTestId('settings-panel');
    await panel.getByLabel("An instance's endpoint").check();
    expect(await panel.getByRole('combobox', { name: /^Endpoint/ }).isDisabled()).toBe(true);
    await panel.getByRole('combobox', { name: /^Instance/ }).selectOption({ label: 'Live ERP (EU) (ERP)' });
    const endpoint = panel.getByRole('combobox', { name: /^Endpoint/ });
    expect(await endpoint.locator('option').allTextContents()).toEqual([
      'Choose an endpoint…',
      'push_orders (POST /orders, send)',
      'list_orders (GET /orders, receive)',
    ]);
    await endpoint.selectOption('push_orders');
    expect(await unlabelledControls(page)).toEqual([]);
    await panel.getByRole('button', { name: 'Add variable' }).click();
    await panel.getByLabel('Variable name').fill('order_id');
    await panel.getByLabel('Variable value').fill('[[payload.id]]');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    // Unconnected, so the save is refused, but the config was sent as chosen.
    await page.getByTestId('step-problems-connector').waitFor();
    const instances = await d.api<{ data: Array<{ id: string }> }>('GET', '/instances');
    await page.getByTestId('step-trigger').click();
    await page.getByTestId('settings-panel').getByLabel('Connect to').selectOption('connector');
    await page.getByTestId('settings-panel').getByRole('button', { name: 'Connect', exact: true }).click();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText(/Saved version/).waitFor();
    const version = await d.api<{ data: { definition: { steps: Array<{ id: string; config: unknown }> } } }>(
      'GET',
      `/flow-versions/${flow.body.data.draft_version_id}`,
    );
    expect(version.body.data.definition.steps.find((s) => s.id === 'connector')!.config).toMatchObject({
      instance: instances.body.data[0]!.id,
      endpoint: 'push_orders',
      variables: { order_id: '[[payload.id]]' },
    });
  });

  it('lists lookup tables, notification groups and the other resources, each with its page', async () => {
    const table = await d.api<{ data: { id: string } }>('POST', '/lookup-tables', {
      name: 'Country codes',
      rows: [
        { left: 'GB', right: 'United Kingdom' },
        { left: 'FR', right: 'France' },
      ],
    });
    expect(table.status).toBe(201);
    expect((await d.api('POST', '/notification-groups', { name: 'Ops', emails: ['ops@acme.test', 'oncall@acme.test'] })).status).toBe(201);

    await page.goto('/flows');
    await page.getByText('More', { exact: true }).click();
    await page.getByRole('link', { name: 'Lookup tables' }).click();
    await page.getByRole('heading', { name: 'Lookup tables' }).waitFor();
    await page.getByRole('link', { name: 'Country codes' }).click();
    await page.getByRole('heading', { name: 'Country codes' }).waitFor();
    await page.getByRole('cell', { name: 'United Kingdom' }).waitFor();
    expect(await page.locator('tbody tr').count()).toBe(2);
    expect(await unlabelledControls(page)).toEqual([]);
    // Rows from a CSV file: a bad line is named, a good file merges in.
    const csv = (text: string) =>
      page.getByLabel(/^CSV file/).setInputFiles({ name: 'rows.csv', mimeType: 'text/csv', buffer: Buffer.from(text) });
    await csv('left,right\nDE');
    await page.getByRole('button', { name: 'Import the file' }).click();
    await page
      .getByRole('alert')
      .getByText(/line 2/)
      .waitFor();
    await csv('left,right\nDE,Germany');
    await page.getByLabel("The file's rows").selectOption('merge');
    await page.getByRole('button', { name: 'Import the file' }).click();
    await page.getByText('Imported the file: the table has 3 rows.').waitFor();
    await page.getByRole('cell', { name: 'Germany' }).waitFor();
    expect(await page.locator('tbody tr').count()).toBe(3);

    await page.getByText('More', { exact: true }).click();
    await page.getByRole('link', { name: 'Notification groups' }).click();
    await page.getByRole('cell', { name: 'ops@acme.test, oncall@acme.test' }).waitFor();
    await page.getByText('New notification group').click();
    await page.getByLabel('Group name').fill('Finance');
    await page.getByLabel('Email addresses (one a line)').fill('not-an-email');
    await page.getByRole('button', { name: 'Create group' }).click();
    await page.getByRole('alert').getByText('emails[0]').waitFor();
    await page.getByLabel('Email addresses (one a line)').fill('ap@acme.test\nar@acme.test');
    await page.getByRole('button', { name: 'Create group' }).click();
    await page.getByRole('heading', { level: 1, name: 'Finance' }).waitFor();
    expect(await page.getByTestId('group-members').locator('li').allTextContents()).toEqual(['ap@acme.test', 'ar@acme.test']);
    for (const [name, empty] of [
      ['Scripts', 'No scripts yet'],
      ['Caches', 'No caches yet'],
      ['Data pools', 'No data pools yet'],
      ['Tracked data', 'Nothing tracked yet'],
    ] as const) {
      await page.getByText('More', { exact: true }).click();
      await page.getByRole('link', { name, exact: true }).click();
      await page.getByText(empty).waitFor();
    }
  });

  it('writes, tests and deploys a script', async () => {
    await page.goto('/scripts');
    await page.getByLabel('New script name').fill('double_it');
    await page.getByRole('button', { name: 'Create script' }).click();
    await page.getByRole('heading', { level: 1, name: 'double_it' }).waitFor();
    expect(await unlabelledControls(page)).toEqual([]);
    // The code is in CodeMirror: select all and paste, as typing would meet auto-closed brackets.
    const code = page.getByRole('textbox', { name: /^Code of the draft/ });
    await expect.poll(() => code.textContent()).toContain('function main');
    const fill = async (text: string) => {
      await code.click();
      await page.keyboard.press('Control+a');
      await page.keyboard.press('Delete');
      await page.keyboard.insertText(text);
    };

    await fill('function main({ payload ) {');
    await page.getByRole('button', { name: 'Deploy' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toMatch(/code/);

    await fill('function main({ payload }) {\n  return { payload: { doubled: payload.id * 2 } };\n}');
    await page.getByLabel('Sample payload (JSON)').fill('{"id": 21}');
    await page.getByRole('button', { name: 'Run the test' }).click();
    await page.getByTestId('script-test-result').getByText('"doubled": 42').waitFor();
    await page.getByRole('button', { name: 'Deploy' }).click();
    await page.getByText('Deployed version 1.').waitFor();
    await page.getByText('deployed version 1 (').waitFor();
    const scripts = await d.api<{ data: Array<{ name: string; deployed_version: number }> }>('GET', '/scripts');
    expect(scripts.body.data).toMatchObject([{ name: 'double_it', deployed_version: 1 }]);
  });

  it('logged no console errors', () => {
    expect(d.consoleErrors).toEqual([]);
  });
});
