import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../cli/run-cli.js';
import { createTestServer, type TestServer } from '../helpers/server.js';
import { CHROMIUM, chromiumMissing, openBrowser, type Browser } from './browser.js';

/**
 * The dashboard on an empty store (embedded ports): every panel says there is nothing yet
 * instead of drawing an empty chart, and a key revoked while signed in sends the page back to
 * sign-in with the reason. dashboard.e2e.test.ts covers the pages with data.
 */
const missing = chromiumMissing ? `${CHROMIUM} is missing (apt-get install chromium)` : undefined;

describe.skipIf(missing !== undefined)(
  `the dashboard on an empty store${missing ? ` (skipped: ${missing}; CI fails in dashboard.e2e.test.ts)` : ''}`,
  () => {
    const assets = mkdtempSync(join(tmpdir(), 'switchboard-dashboard-assets-'));
    let t: TestServer;
    let browser: Browser;
    let origin: string;
    let keyId: string;
    let key: string;

    beforeAll(async () => {
      await build({
        configFile: join(ROOT, 'dashboard/vite.config.ts'),
        logLevel: 'error',
        build: { outDir: assets, emptyOutDir: true },
      });
      // Revocation is seen within the auth cache's lifetime: short here so the test need not wait 5 s.
      t = await createTestServer({ dashboardDir: assets, env: { SWITCHBOARD_AUTH_CACHE_TTL_MS: '200' } });
      origin = await t.app.listen({ port: 0, host: '127.0.0.1' });
      const created = await t.switchboard.services.auth.keys.create({ name: 'empty e2e', scope: 'read' });
      keyId = created.id;
      key = created.secret;
      browser = await openBrowser(origin);
    }, 90_000);

    afterAll(async () => {
      await browser?.close();
      await t?.close();
      rmSync(assets, { recursive: true, force: true });
    });

    it('shows the empty state of every panel that has no data', async () => {
      const { page } = browser;
      await page.goto(`${origin}/dashboard/#/voice`);
      await page.locator('#api-key').fill(key);
      await page.getByRole('button', { name: 'Sign in' }).click();
      const empty = (panel: string) => page.locator(`[data-panel="${panel}"].is-empty`).waitFor();
      for (const panel of ['events', 'latency-stt', 'latency-llm', 'latency-tts', 'errors', 'slowest']) {
        await empty(panel);
      }
      await expect
        .poll(() => page.locator('[data-panel="slowest"] .state').textContent())
        .toBe('No sessions in the last hour.');
      await browser.screenshot('empty-voice');
      await page.evaluate('location.hash = "#/callcenter"');
      for (const panel of ['queues', 'agents', 'service-level', 'feed']) await empty(panel);
      await page.evaluate('location.hash = "#/messaging"');
      for (const panel of ['busiest', 'telegram']) await empty(panel);
      await browser.screenshot('empty-messaging');
      await page.evaluate('location.hash = "#/voice/session/nobody"');
      await empty('timeline');
    }, 60_000);

    it('returns to sign-in, saying why, when the key is revoked', async () => {
      const { page } = browser;
      await page.evaluate('location.hash = "#/overview"');
      await page.locator('[data-port="wide_column"][data-state="up"]').waitFor();
      browser.expectStatus(401, true);
      await t.switchboard.services.auth.keys.revoke(keyId);
      await expect
        .poll(() => page.locator('.signin-error').textContent(), { timeout: 30_000 })
        .toContain('no longer accepted');
      expect(await page.evaluate("sessionStorage.getItem('switchboard.apiKey')")).toBeNull();
      await browser.screenshot('signed-out');
    }, 60_000);

    it('logged no console error and requested nothing from another origin', () => {
      expect(browser.consoleErrors.join('\n')).toBe('');
      expect(browser.foreignRequests.join('\n')).toBe('');
    });
  },
);
