import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { ROOT } from '../cli/run-cli.js';

/** Debian's `chromium` package (`.ci/run` installs it); SWITCHBOARD_TEST_CHROMIUM overrides. */
export const CHROMIUM = process.env.SWITCHBOARD_TEST_CHROMIUM ?? '/usr/bin/chromium';
export const chromiumMissing = !existsSync(CHROMIUM);
export const SCREENSHOTS = join(ROOT, 'test-results', 'dashboard');

/**
 * Without the background-networking flags Chromium calls home (updates, sync, field trials),
 * which floods a closed network and would count as requests to another origin.
 */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  page: Page;
  context: BrowserContext;
  /** Console errors and uncaught page errors, except HTTP statuses the test expects (see expectStatus). */
  consoleErrors: string[];
  /** Every request to an origin other than the service's. */
  foreignRequests: string[];
  /** Chromium logs a failed fetch as a console error: a test expecting a 401 or 503 says so first. */
  expectStatus(status: number, expected: boolean): void;
  screenshot(name: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Headless Chromium with a fresh profile, watching the console and every request. `origin` is
 * read when a request is made, so the browser can start before the service has its port.
 */
export async function openBrowser(serviceOrigin: string | (() => string)): Promise<Browser> {
  const originOf = typeof serviceOrigin === 'string' ? () => serviceOrigin : serviceOrigin;
  const profile = mkdtempSync(join(tmpdir(), 'switchboard-chromium-'));
  mkdirSync(SCREENSHOTS, { recursive: true });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1440, height: 900 },
    // Generous for a loaded 2-core machine; every wait is for a condition, never a fixed sleep.
    timeout: 30_000,
  });
  context.setDefaultTimeout(20_000);
  const page = context.pages()[0] ?? (await context.newPage());
  const consoleErrors: string[] = [];
  const foreignRequests: string[] = [];
  const allowed = new Set<number>();
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const status = /status of (\d{3})/.exec(message.text())?.[1];
    if (status && allowed.has(Number(status))) return;
    // /ready answers 503 whenever a port or worker fails (on a loaded machine a health check can
    // miss ready_timeout_ms): that is its report, which the overview shows, not a page error.
    if (status === '503' && new URL(message.location().url || originOf()).pathname === '/ready') return;
    consoleErrors.push(`${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => consoleErrors.push(`page error: ${error.message}`));
  context.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(`${originOf()}/`) && !url.startsWith('data:')) foreignRequests.push(url);
  });
  return {
    page,
    context,
    consoleErrors,
    foreignRequests,
    expectStatus: (status, expected) => (expected ? allowed.add(status) : allowed.delete(status)),
    screenshot: async (name) => {
      await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
    },
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
