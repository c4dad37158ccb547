import type { FlowDefinition } from '@weft/schema';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Dashboard, HAS_CHROMIUM, openDashboard, screenshotFailure, unlabelledControls } from './dashboard-support.js';

const RULES = [{ source: 'id', target: 'id' }];
/** A route step whose two routes feed two maps (a saved draft must be valid, so everything is connected). */
const DEFINITION: FlowDefinition = {
  steps: [
    { id: 'trigger', shape: 'trigger', config: {}, position: { x: 0, y: 0 } },
    { id: 'route', shape: 'route', config: { routes: [{ label: 'uk' }, { label: 'eu' }] }, position: { x: 260, y: 0 } },
    { id: 'to_uk', shape: 'map', config: { rules: RULES }, position: { x: 520, y: 0 } },
    { id: 'to_eu', shape: 'map', config: { rules: RULES }, position: { x: 520, y: 160 } },
  ],
  edges: [
    { from: 'trigger', to: 'route' },
    { from: 'route', to: 'to_uk', label: 'uk' },
    { from: 'route', to: 'to_eu', label: 'eu' },
  ],
};
const sorted = (labels: string[]) => [...labels].sort();

describe.skipIf(!HAS_CHROMIUM)('the flow canvas in a browser', () => {
  let d: Dashboard;
  let page: Page;
  let flowId = '';
  let draftId = '';

  beforeAll(async () => {
    d = await openDashboard();
    page = d.page;
    const created = await d.api<{ data: { id: string; draft_version_id: string } }>('POST', '/flows', {
      name: 'Orders by region',
      definition: DEFINITION,
    });
    expect(created.status).toBe(201);
    flowId = created.body.data.id;
    draftId = created.body.data.draft_version_id;
  });
  afterAll(() => d?.close());
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await screenshotFailure(page, `canvas-${ctx.task.name}`);
  });

  const saved = async () =>
    (await d.api<{ data: { definition: FlowDefinition } }>('GET', `/flow-versions/${draftId}`)).body.data.definition;
  const save = async () => {
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText(/Saved version/).waitFor();
  };
  const edgeLabels = () => page.locator('.react-flow__edge-text').allTextContents();

  it('asks which route a new edge out of a route step takes, shows the label on the edge and saves it', async () => {
    await page.goto(`/flows/${flowId}`);
    await page.getByTestId('step-route').waitFor();
    await expect.poll(async () => sorted(await edgeLabels())).toEqual(['eu', 'uk']);
    await page.getByTestId('step-route').click();
    await page.getByTestId('settings-panel').getByRole('button', { name: 'Remove the edge to to_eu (eu)' }).click();
    await expect.poll(edgeLabels).toEqual(['uk']);
    // The open settings panel narrows the canvas: close it and fit the steps in view again.
    await page.getByRole('button', { name: 'Close step settings' }).click();
    await page.getByRole('button', { name: 'Zoom to fit' }).click();
    await page.waitForTimeout(300);

    await connect(page, 'route', 'to_eu');
    const dialog = page.getByRole('dialog', { name: 'Label the connection' });
    await dialog.waitFor();
    expect(await dialog.getByLabel('Edge label').locator('option').allTextContents()).toEqual(['uk', 'eu']);
    expect(await unlabelledControls(page)).toEqual([]);
    await dialog.getByLabel('Edge label').selectOption('uk');
    await dialog.getByRole('button', { name: 'Connect' }).click();
    await expect.poll(edgeLabels).toEqual(['uk', 'uk']);

    // Cancelling the question adds no edge.
    await connect(page, 'route', 'to_uk');
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect(await page.locator('.react-flow__edge').count()).toBe(3);

    await save();
    expect((await saved()).edges).toEqual([
      { from: 'trigger', to: 'route' },
      { from: 'route', to: 'to_uk', label: 'uk' },
      { from: 'route', to: 'to_eu', label: 'uk' },
    ]);
  });

  it('connects, relabels and disconnects from the keyboard in the step settings', async () => {
    await page.getByTestId('step-route').click();
    const panel = page.getByTestId('settings-panel');
    await panel.getByLabel('Connect to').selectOption('to_eu');
    await panel.getByLabel('Via').selectOption('eu');
    await panel.getByRole('button', { name: 'Connect', exact: true }).click();
    await expect.poll(async () => sorted(await edgeLabels())).toEqual(['eu', 'uk', 'uk']);
    await panel.getByLabel('Label of the edge to to_uk (uk)').selectOption('eu');
    await expect.poll(async () => sorted(await edgeLabels())).toEqual(['eu', 'eu', 'uk']);
    expect(await unlabelledControls(page)).toEqual([]);
    await panel.getByRole('button', { name: 'Remove the edge to to_eu (eu)' }).click();
    await expect.poll(async () => sorted(await edgeLabels())).toEqual(['eu', 'uk']);
  });

  it('undoes and redoes with the buttons and with Ctrl+Z / Ctrl+Shift+Z', async () => {
    const labels = async () => sorted(await edgeLabels());
    await page.getByRole('button', { name: 'Undo' }).click();
    await expect.poll(labels).toEqual(['eu', 'eu', 'uk']);
    await page.getByRole('button', { name: 'Undo' }).click();
    await expect.poll(labels).toEqual(['eu', 'uk', 'uk']);
    await page.getByRole('button', { name: 'Redo' }).click();
    await expect.poll(labels).toEqual(['eu', 'eu', 'uk']);

    await page.getByRole('button', { name: 'Close step settings' }).click();
    await page
      .getByTestId('canvas')
      .locator('.react-flow__pane')
      .click({ position: { x: 10, y: 10 } });
    await page.keyboard.press('Control+z');
    await expect.poll(labels).toEqual(['eu', 'uk', 'uk']);
    await page.keyboard.press('Control+Shift+z');
    await expect.poll(labels).toEqual(['eu', 'eu', 'uk']);
    await page.keyboard.press('Control+Shift+z');
    await expect.poll(labels).toEqual(['eu', 'uk']);
    expect(await page.getByRole('button', { name: 'Redo' }).isDisabled()).toBe(true);
    await save();
  });

  it('lays the steps out left to right and zooms to fit them all', async () => {
    // Pile every step on one spot, as a hand-written import might.
    const before = await saved();
    await d.api('PUT', `/flow-versions/${draftId}`, {
      definition: {
        ...before,
        steps: before.steps.map((s) => ({ ...s, position: { x: 0, y: 0 } })),
      },
    });
    await page.reload();
    await page.getByTestId('step-route').waitFor();
    await page.getByRole('button', { name: 'Auto-layout' }).click();
    await page.getByRole('button', { name: 'Zoom to fit' }).click();
    await page.waitForTimeout(400);
    const box = async (id: string) => (await page.getByTestId(`step-${id}`).boundingBox())!;
    const [trigger, route, uk, eu] = [await box('trigger'), await box('route'), await box('to_uk'), await box('to_eu')];
    expect(trigger.x + trigger.width).toBeLessThan(route.x);
    expect(route.x + route.width).toBeLessThan(Math.min(uk.x, eu.x));
    expect(Math.abs(uk.y - eu.y)).toBeGreaterThanOrEqual(uk.height);
    const canvas = (await page.getByTestId('canvas').boundingBox())!;
    for (const b of [trigger, route, uk, eu]) {
      expect(b.x).toBeGreaterThanOrEqual(canvas.x);
      expect(b.y).toBeGreaterThanOrEqual(canvas.y);
      expect(b.x + b.width).toBeLessThanOrEqual(canvas.x + canvas.width);
      expect(b.y + b.height).toBeLessThanOrEqual(canvas.y + canvas.height);
    }
    await save();
    const positions = new Map((await saved()).steps.map((s) => [s.id, s.position!]));
    expect(positions.get('route')!.x).toBeGreaterThan(positions.get('trigger')!.x);
    expect(positions.get('to_uk')!.y).not.toBe(positions.get('to_eu')!.y);
  });

  it('deletes a step with the Delete key and with the toolbar, and undo brings it back', async () => {
    await page.getByTestId('step-to_eu').click();
    await page.keyboard.press('Delete');
    await expect.poll(() => page.getByTestId('step-to_eu').count()).toBe(0);
    expect(await page.locator('.react-flow__edge').count()).toBe(2);
    await page.getByRole('button', { name: 'Undo' }).click();
    await page.getByTestId('step-to_eu').waitFor();
    expect(await page.locator('.react-flow__edge').count()).toBe(3);

    await page.getByTestId('step-to_uk').click();
    await page.getByRole('button', { name: 'Delete selected step' }).click();
    await expect.poll(() => page.getByTestId('step-to_uk').count()).toBe(0);
    await save();
    expect((await saved()).steps.map((s) => s.id)).toEqual(['trigger', 'route', 'to_eu']);
  });

  it('reaches and selects steps with the keyboard, and moves one with the arrow keys', async () => {
    const close = page.getByRole('button', { name: 'Close step settings' });
    if (await close.count()) await close.click();
    const node = page.locator('.react-flow__node[data-id="to_eu"]');
    await node.focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('settings-panel').getByText('Map step').waitFor();
    const before = (await saved()).steps.find((s) => s.id === 'to_eu')!.position!;
    await node.focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await save();
    const after = (await saved()).steps.find((s) => s.id === 'to_eu')!.position!;
    expect(after.x).toBeGreaterThan(before.x);
  });

  it('shows the cron helper for a schedule: meaning, next fire times and mistakes', async () => {
    await page.getByTestId('step-trigger').click();
    const panel = page.getByTestId('settings-panel');
    await panel.getByLabel('Start from').selectOption('0 9 * * 1-5');
    await panel.getByRole('button', { name: 'Add schedule' }).click();
    const row = panel.getByTestId('schedule-1');
    expect(await unlabelledControls(page)).toEqual([]);
    await row.getByText(/Monday through Friday/).waitFor();
    const next = (await row.getByText(/^Next:/).textContent()) ?? '';
    expect(next.match(/09:00 UTC/g)?.length).toBe(3);

    const input = panel.getByLabel('Schedule 1 (cron, UTC)');
    await input.fill('0 6 * *');
    await row.getByText('Must have 5 fields').waitFor();
    expect(await input.getAttribute('aria-invalid')).toBe('true');
    await input.fill('0 25 * * *');
    await row.getByText(/Not a valid cron expression/).waitFor();
    await input.fill('30 6 1 * *');
    await row.getByText(/06:30/).first().waitFor();
    await save();
    expect((await saved()).steps[0]!.config).toEqual({ schedules: ['30 6 1 * *'] });
  });

  it('logged no console errors', () => {
    expect(d.consoleErrors).toEqual([]);
  });
});
