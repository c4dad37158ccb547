import type { FlowDefinition } from '@weft/schema';
import type { Page, Request } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Dashboard, HAS_CHROMIUM, openDashboard, screenshotFailure, unlabelledControls } from './dashboard-support.js';

const ORDERS_RESPONSE = {
  type: 'object',
  properties: { data: { type: 'array', items: { type: 'object', properties: { order_number: { type: 'string' } } } } },
};
const CREATE_REQUEST = { type: 'object', properties: { customer: { type: 'object', properties: { givenName: { type: 'string' } } } } };

const SAMPLE = JSON.stringify({ customer: { first_name: 'Ann', email: 'ann@example.test' }, lines: [{ sku: 'A-1' }] });

describe.skipIf(!HAS_CHROMIUM)('field suggestions in the map editor, and the settings page, in a browser', () => {
  let d: Dashboard;
  let page: Page;
  let flowId = '';
  let connectorId = '';
  let draftId = '';

  beforeAll(async () => {
    d = await openDashboard();
    page = d.page;
    const connector = await d.api<{ data: { id: string } }>('POST', '/connectors', {
      name: 'Shop',
      protocol: 'http',
      base_url: 'http://127.0.0.1:9/',
      auth_methods: [{ type: 'none' }],
      endpoints: [
        { name: 'list_orders', method: 'GET', path: '/orders', data_type: 'json', direction: 'receive', schema: ORDERS_RESPONSE },
        { name: 'create_order', method: 'POST', path: '/orders', data_type: 'json', direction: 'send', request_schema: CREATE_REQUEST },
      ],
    });
    expect(connector.status).toBe(201);
    connectorId = connector.body.data.id;
    const instance = await d.api<{ data: { id: string } }>('POST', '/instances', {
      connector_id: connector.body.data.id,
      name: 'Shop live',
      auth_method: 'none',
    });
    expect(instance.status).toBe(201);
    const inst = instance.body.data.id;
    const definition: FlowDefinition = {
      steps: [
        { id: 'trigger', shape: 'trigger', config: {}, position: { x: 0, y: 0 } },
        { id: 'fetch', shape: 'connector', config: { instance: inst, endpoint: 'list_orders' }, position: { x: 260, y: 0 } },
        { id: 'to_order', shape: 'map', config: { rules: [{ source: 'id', target: 'id' }] }, position: { x: 520, y: 0 } },
        { id: 'send', shape: 'connector', config: { instance: inst, endpoint: 'create_order' }, position: { x: 780, y: 0 } },
      ],
      edges: [
        { from: 'trigger', to: 'fetch' },
        { from: 'fetch', to: 'to_order' },
        { from: 'to_order', to: 'send' },
      ],
    };
    const flow = await d.api<{ data: { id: string; draft_version_id: string } }>('POST', '/flows', { name: 'Orders to shop', definition });
    expect(flow.status).toBe(201);
    flowId = flow.body.data.id;
    draftId = flow.body.data.draft_version_id;
  });
  afterAll(() => d?.close());
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await screenshotFailure(page, `map-suggestions-${ctx.task.name}`);
  });

  // Focus and Enter select a step wherever it is, even behind the open settings panel, where a click cannot reach it.
  const openStep = async (id: string) => {
    await page.locator(`.react-flow__node[data-id="${id}"]`).focus();
    await page.keyboard.press('Enter');
  };
  const options = (label: string) => page.getByRole('listbox', { name: `Suggestions for ${label.toLowerCase()}` }).getByRole('option');

  it('suggests source paths from a pasted sample and the upstream endpoint, and a chosen one fills the rule', async () => {
    await page.goto(`/flows/${flowId}`);
    await page.getByTestId('step-to_order').click();
    const panel = page.getByTestId('settings-panel');
    await panel.getByText('Map step').waitFor();
    await panel.getByLabel('Sample payload (JSON, XML, CSV or text)').fill(SAMPLE);
    await panel.getByRole('button', { name: 'Add rule' }).click();

    const source = panel.getByRole('combobox', { name: 'Source of rule 2', exact: true });
    await source.fill('first');
    await expect.poll(() => options('Source of rule 2').allTextContents()).toEqual(['customer.first_name']);
    // Every path of the sample, with * for list elements, and the upstream endpoint's response fields.
    await source.fill('');
    const all = await options('Source of rule 2').allTextContents();
    expect(all).toEqual(
      expect.arrayContaining(['customer', 'customer.first_name', 'customer.email', 'lines', 'lines.*.sku', 'data', 'data.*.order_number']),
    );
    expect(await unlabelledControls(page)).toEqual([]);

    // Keyboard: type, ArrowDown to the suggestion, Enter picks it.
    await source.fill('mail');
    await source.press('ArrowDown');
    expect(await source.getAttribute('aria-activedescendant')).toBeTruthy();
    await source.press('Enter');
    await expect.poll(() => source.inputValue()).toBe('customer.email');
    expect(await source.getAttribute('aria-expanded')).toBe('false');

    // Target: the downstream endpoint's request fields, picked with the mouse.
    const target = panel.getByRole('combobox', { name: 'Target of rule 2', exact: true });
    await target.focus();
    await expect.poll(() => options('Target of rule 2').allTextContents()).toEqual(['customer', 'customer.givenName']);
    await options('Target of rule 2').filter({ hasText: 'customer.givenName' }).click();
    await expect.poll(() => target.inputValue()).toBe('customer.givenName');

    // The preview maps the sample with the picked rule.
    await page.waitForFunction(() =>
      document.querySelector('[data-testid="map-preview-output"]')?.textContent?.includes('ann@example.test'),
    );
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText(/Saved version/).waitFor();
    const version = await d.api<{ data: { definition: FlowDefinition } }>('GET', `/flow-versions/${draftId}`);
    const map = version.body.data.definition.steps.find((s) => s.id === 'to_order')!;
    expect(map.config.rules).toEqual([
      { source: 'id', target: 'id' },
      { source: 'customer.email', target: 'customer.givenName' },
    ]);
  });

  it('suggests *.<column> for a CSV sample before the endpoint fields, and Escape closes the list', async () => {
    const panel = page.getByTestId('settings-panel');
    await panel.getByLabel('Sample payload (JSON, XML, CSV or text)').fill('sku,qty\nA-1,2\n');
    const source = panel.getByRole('combobox', { name: 'Source of rule 1', exact: true });
    await source.fill('*.');
    await expect.poll(() => options('Source of rule 1').allTextContents()).toEqual(['*.sku', '*.qty', 'data.*.order_number']);
    await source.press('Escape');
    expect(await source.getAttribute('aria-expanded')).toBe('false');
    expect(await options('Source of rule 1').count()).toBe(0);
  });

  it('loads the instances and connectors once for the editor, however often connector and map steps are opened', async () => {
    const asked: string[] = [];
    const listen = (r: Request) => {
      const path = new URL(r.url()).pathname;
      if (path === '/api/v1/instances' || path === '/api/v1/connectors') asked.push(path);
    };
    page.on('request', listen);
    try {
      await page.goto(`/flows/${flowId}`);
      const panel = page.getByTestId('settings-panel');
      const endpoint = panel.getByRole('combobox', { name: /^Endpoint/ });
      await openStep('fetch');
      await expect.poll(() => endpoint.inputValue()).toBe('list_orders');
      await openStep('to_order');
      await panel.getByText('Map step').waitFor();
      await openStep('send');
      await expect.poll(() => endpoint.inputValue()).toBe('create_order');
      await openStep('to_order');
      await panel.getByText('Map step').waitFor();
      expect(asked.sort()).toEqual(['/api/v1/connectors', '/api/v1/instances']);
    } finally {
      page.off('request', listen);
    }
  });

  it('loads them again when the window regains focus a while later, so an instance made in another tab shows up', async () => {
    await page.goto(`/flows/${flowId}`);
    await openStep('send');
    const instances = page
      .getByTestId('settings-panel')
      .getByRole('combobox', { name: /^Instance/ })
      .locator('option');
    await expect.poll(() => instances.allTextContents()).toContain('Shop live (Shop)');
    const made = await d.api('POST', '/instances', { connector_id: connectorId, name: 'Shop backup', auth_method: 'none' });
    expect(made.status).toBe(201);
    await page.evaluate(() => window.dispatchEvent(new Event('focus')));
    // Just loaded: a focus now changes nothing.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await instances.allTextContents()).not.toContain('Shop backup (Shop)');
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    await page.evaluate(() => window.dispatchEvent(new Event('focus')));
    await expect.poll(() => instances.allTextContents()).toContain('Shop backup (Shop)');
  });

  it("keeps a map step's sample when another step is opened and back, for both the preview and the suggestions", async () => {
    const panel = page.getByTestId('settings-panel');
    const sample = panel.getByLabel('Sample payload (JSON, XML, CSV or text)');
    await openStep('to_order');
    await sample.fill('{"parcel": {"weight_kg": 2}}');
    await openStep('send');
    await panel.getByRole('combobox', { name: /^Endpoint/ }).waitFor();
    await openStep('to_order');
    expect(await sample.inputValue()).toBe('{"parcel": {"weight_kg": 2}}');
    const source = panel.getByRole('combobox', { name: 'Source of rule 1', exact: true });
    await source.fill('weight');
    await expect.poll(() => options('Source of rule 1').allTextContents()).toEqual(['parcel.weight_kg']);
    await source.press('Escape');
    await page.waitForFunction(() => document.querySelector('[data-testid="map-preview-output"]') !== null);
  });

  it('shows the company id, the signed-in user and links on the settings page', async () => {
    const me = await d.api<{ data: { company: { id: string; name: string }; user: { email: string } } }>('GET', '/me');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
    expect(await page.getByTestId('settings-company-id').textContent()).toBe(me.body.data.company.id);
    expect(await page.getByTestId('settings-company-name').textContent()).toBe('Acme Ltd');
    expect(await page.getByTestId('settings-role').textContent()).toBe('administrator');
    await page.getByText(me.body.data.user.email).waitFor();
    await page.getByRole('button', { name: 'Copy company id' }).waitFor();
    for (const name of ['API keys', 'Users', 'Audit log']) await page.getByRole('main').getByRole('link', { name }).waitFor();
    expect(await unlabelledControls(page)).toEqual([]);
    await page.getByRole('main').getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('heading', { name: 'API keys' }).waitFor();
  });

  it('logged no console errors', () => {
    expect(d.consoleErrors).toEqual([]);
  });
});
