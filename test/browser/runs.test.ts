import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Dashboard, HAS_CHROMIUM, openDashboard, screenshotFailure, unlabelledControls } from './dashboard-support.js';

const PHONE = { width: 375, height: 667 };
const RUNS = 27;

describe.skipIf(!HAS_CHROMIUM)('the run logs on a phone', () => {
  let d: Dashboard;
  let page: Page;
  const runIds: string[] = [];
  let retryId = '';

  beforeAll(async () => {
    d = await openDashboard(PHONE);
    page = d.page;
    const flow = await d.api<{ data: { id: string; draft_version_id: string } }>('POST', '/flows', {
      name: 'Customer sync with a rather long name to wrap',
      definition: {
        steps: [
          { id: 'trigger', shape: 'trigger', config: {} },
          { id: 'map', shape: 'map', config: { rules: [{ source: 'id', target: 'customerIdentifierInTheCrm' }] } },
        ],
        edges: [{ from: 'trigger', to: 'map' }],
      },
    });
    expect(flow.status).toBe(201);
    const deployed = await d.api('POST', `/flow-versions/${flow.body.data.draft_version_id}/deploy`, { enable: true });
    expect(deployed.status).toBe(200);
    for (let i = 0; i < RUNS; i++) {
      const started = await d.api<{ flow_run_id: string }>('POST', `/flows/${flow.body.data.id}/start`, {
        // A long unbroken value: it must wrap on a phone rather than widen the page.
        payload: JSON.stringify({ id: `customer-${i}-${'x'.repeat(80)}` }),
      });
      expect(started.status).toBe(200);
      runIds.push(started.body.flow_run_id);
    }
    // Wait for the worker to finish them, then retry the first.
    const succeeded = async () =>
      (await d.api<{ meta: { total: number } }>('GET', '/flow-runs?filter[status]=success&per_page=1')).body.meta.total;
    for (let i = 0; i < 150 && (await succeeded()) < RUNS; i++) await new Promise((r) => setTimeout(r, 200));
    expect(await succeeded()).toBe(RUNS);
    const retried = await d.api<{ flow_run_id: string }>('POST', `/flow-runs/${runIds[0]}/retry`);
    expect(retried.status).toBe(200);
    retryId = retried.body.flow_run_id;
  });
  afterAll(() => d?.close());
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await screenshotFailure(page, `runs-${ctx.task.name}`);
  });

  /** Whether anything on the page is wider than the screen (the page or its scrolling content area). */
  const overflows = () =>
    page.evaluate(() => {
      const wide = (el: Element | null) => !!el && el.scrollWidth > el.clientWidth + 1;
      return {
        page: wide(document.scrollingElement),
        content: wide(document.querySelector('.content')),
        widest: [...document.querySelectorAll('body *')]
          // Visually hidden text (the table head of the cards) is clipped to nothing on screen.
          .filter((el) => !el.closest('thead, .visually-hidden') && el.getBoundingClientRect().right > window.innerWidth + 1)
          .slice(0, 3)
          .map((el) => `${el.tagName}.${el.className} ${el.textContent?.slice(0, 30)}`),
      };
    });

  it('lists the runs as cards that fit a 375 px screen, a page at a time', async () => {
    await page.goto('/runs');
    await page.getByText(`Page 1 of 2`).waitFor();
    expect(await page.locator('tbody tr').count()).toBe(25);
    expect(await unlabelledControls(page)).toEqual([]);
    expect(await overflows()).toEqual({ page: false, content: false, widest: [] });
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.getByText('Page 2 of 2').waitFor();
    await expect.poll(() => page.locator('tbody tr').count()).toBe(RUNS + 1 - 25);
    expect(page.url()).toContain('page=2');
    // A new filter starts again from the first page.
    await page.getByRole('combobox', { name: /^Trigger/ }).selectOption('retry');
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
    expect(page.url()).not.toContain('page=');
    expect(await page.getByText('Page 1 of').count()).toBe(0);
    await page.getByLabel('Started from').fill('2999-01-01');
    await page.getByText('No runs match these filters').waitFor();
    await page.getByLabel('Started from').fill('');
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
  });

  it('links a retry to the run it retried, and shows a run on the phone without sideways scrolling', async () => {
    const row = page.getByTestId(`run-row-${retryId}`);
    await row.getByRole('link', { name: /retry of/ }).click();
    await page.waitForURL(`**/runs/${runIds[0]}`);
    expect(await page.getByTestId('run-id').textContent()).toBe(runIds[0]);
    await page.goBack();
    await row.getByRole('link', { name: /^[0-9a-f]{8}…/ }).click();
    await page.waitForURL(`**/runs/${retryId}`);
    await page.getByRole('heading', { name: /Run/ }).getByText('success').waitFor({ timeout: 15_000 });
    const summary = page.locator('.summary');
    await summary.getByText('Retry of').waitFor();
    const entries = page.getByTestId('log-entry');
    await entries
      .filter({ hasText: 'map' })
      .first()
      .getByRole('button', { name: /Payloads/ })
      .click();
    await page.locator('.payloads pre').last().getByText('customerIdentifierInTheCrm').waitFor();
    expect(await overflows()).toEqual({ page: false, content: false, widest: [] });
    await summary.getByRole('link', { name: runIds[0]! }).click();
    await page.waitForURL(`**/runs/${runIds[0]}`);
    // And back: the original names its retry.
    await page.getByRole('region', { name: 'Retried as' }).getByRole('link').click();
    await page.waitForURL(`**/runs/${retryId}`);
  });

  it('keeps the flows list within the phone screen: its wide table scrolls inside its own box', async () => {
    await page.goto('/flows');
    await page.getByRole('link', { name: /Customer sync/ }).waitFor();
    expect((await overflows()).page).toBe(false);
  });

  it('logged no console errors', () => {
    expect(d.consoleErrors).toEqual([]);
  });
});
