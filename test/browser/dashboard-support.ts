import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { createSystem, loadConfig, type System } from '../../packages/server/src/index.js';
import { CANARY, findCanaryLeaks, leakError } from '../../packages/server/src/test-support/canary.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CHROMIUM = '/usr/bin/chromium';
export const HAS_CHROMIUM = existsSync(CHROMIUM);
const DIST_INDEX = path.join(ROOT, 'packages/web/dist/index.html');
/** Carries the leak canary; close() scans the data directory for it. */
export const PASSWORD = `correct horse battery staple ${CANARY}`;

// Requests the tests make fail on purpose (invalid input, taken email); Chromium logs each as a console error.
const EXPECTED_CONSOLE = /Failed to load resource: the server responded with a status of (401|409|422)/;

export interface Dashboard {
  base: string;
  system: System;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Console errors and page errors seen so far, less the expected failed requests. */
  consoleErrors: string[];
  /** Calls the API as the registered administrator. */
  api<T = unknown>(method: string, url: string, body?: unknown): Promise<{ status: number; body: T }>;
  token: string;
  close(): Promise<void>;
}

/**
 * A real Weft server on a temporary SQLite folder, a company registered through the API, and
 * Chromium logged in as its administrator (the token put where the dashboard keeps it).
 */
export async function openDashboard(viewport = { width: 1280, height: 800 }): Promise<Dashboard> {
  if (!existsSync(DIST_INDEX)) throw new Error('packages/web/dist is missing: run `npm run build` first (npm test does).');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'weft-browser-'));
  const system = await createSystem(loadConfig({}, { dataDir, port: 0, egressAllow: ['127.0.0.1'], logLevel: 'silent' }));
  await system.app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(system.app.server.address() as { port: number }).port}`;

  const email = `admin-${Date.now()}@acme.test`;
  const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}/api/v1${url}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  const reg = await post('/register', { company: 'Acme Ltd', name: 'Jane Smith', email, password: PASSWORD });
  if (reg.status !== 201 && reg.status !== 200) throw new Error(`register answered ${reg.status}: ${await reg.text()}`);
  const login = (await (await post('/login', { email, password: PASSWORD })).json()) as { token: string };
  const token = login.token;

  const api = async <T>(method: string, url: string, body?: unknown) => {
    const res = await fetch(`${base}/api/v1${url}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  };

  const browser = await chromium.launch({
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
  const context = await browser.newContext({ viewport, baseURL: base, acceptDownloads: true });
  await context.addInitScript((t) => {
    if (!localStorage.getItem('weft.token')) localStorage.setItem('weft.token', t);
  }, token);
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const consoleErrors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !EXPECTED_CONSOLE.test(msg.text())) consoleErrors.push(msg.text());
  });
  page.on('pageerror', (err) => consoleErrors.push(`page error: ${err.message}`));

  return {
    base,
    system,
    browser,
    context,
    page,
    consoleErrors,
    api,
    token,
    async close() {
      await browser.close();
      await system.close();
      // Leak canaries, before the data goes: no file of the data directory may hold the password.
      const leaks = await findCanaryLeaks({ dataDir, config: { databaseSchema: '' }, secrets: [token] });
      rmSync(dataDir, { recursive: true, force: true });
      const error = leakError(leaks, 'dashboard test server');
      if (error !== undefined) throw error;
    },
  };
}

/** Saves a picture of the page in the git-ignored .tmp/browser, to see why a step failed. */
export async function screenshotFailure(page: Page | undefined, name: string): Promise<void> {
  if (!page) return;
  mkdirSync(path.join(ROOT, '.tmp/browser'), { recursive: true });
  await page.screenshot({ path: path.join(ROOT, '.tmp/browser', `${name.replace(/\W+/g, '-')}.png`), fullPage: true });
}

/** Drags from one step's output handle to another's input handle, as a user connects steps. */
export async function connect(page: Page, from: string, to: string): Promise<void> {
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

/**
 * Form controls and buttons on the page that have no accessible name (no label, aria-label,
 * aria-labelledby, title or text), each described by its tag and a bit of its HTML.
 */
export function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const named = (el: HTMLElement): boolean => {
      if (el.getAttribute('aria-label')?.trim() || el.getAttribute('title')?.trim()) return true;
      const by = el.getAttribute('aria-labelledby');
      if (by && by.split(/\s+/).some((id) => document.getElementById(id)?.textContent?.trim())) return true;
      const labels = (el as HTMLInputElement).labels;
      if (labels && [...labels].some((l) => l.textContent?.trim())) return true;
      return el.tagName === 'BUTTON' && !!el.textContent?.trim();
    };
    return [...document.querySelectorAll<HTMLElement>('input:not([type=hidden]), select, textarea, button')]
      .filter((el) => !named(el))
      .map((el) => `${el.tagName.toLowerCase()}: ${el.outerHTML.slice(0, 120)}`);
  });
}
