/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import type { INestApplication } from '@nestjs/common';
import type { Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { HeartbeatManagementServer } from '../src/index.js';
import { send, TRANSPORTS, type TransportName } from './support/transports.js';
import { Flags, serveStatus } from './support/status.js';

const PREFIX = '/.well-known/heartbeat';

/** The HTTP server that carries the page's event stream, to cut it as a proxy or a network would. */
function serverOf(app: INestApplication, transport: TransportName): Server {
  if (transport !== 'port') return app.getHttpServer() as Server;
  return (app.get(HeartbeatManagementServer) as unknown as { server: Server }).server;
}

describe.each(TRANSPORTS)('status page in Chromium on %s', (transport) => {
  let browser: Browser;
  let app: INestApplication;
  let url: string;
  let shots: string;

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
    shots = mkdtempSync(join(tmpdir(), 'heartbeat-status-'));
  });
  afterAll(async () => {
    await browser.close();
    rmSync(shots, { recursive: true, force: true });
  });
  beforeEach(async () => {
    ({ app, url } = await serveStatus(transport, { statusPage: { public: true } }));
    await flip(true, true);
  });
  afterEach(() => app.close());

  async function flip(db: boolean, cache: boolean): Promise<void> {
    Object.assign(app.get(Flags), { db, cache });
    await send(url, 'GET', `${PREFIX}/readiness`);
  }

  /** A page with JavaScript on, recording console errors, page errors and CSP violations. */
  async function open(): Promise<{ page: Page; problems: string[] }> {
    const context = await browser.newContext();
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
    page.on('pageerror', (error) => problems.push(error.message));
    await page.exposeFunction('__violation', (directive: string) => problems.push(`CSP: ${directive}`));
    await page.addInitScript(() =>
      document.addEventListener('securitypolicyviolation', (event) =>
        (window as unknown as { __violation(d: string): void }).__violation(event.violatedDirective),
      ),
    );
    await page.goto(`${url}${PREFIX}/status`);
    await page.locator('#live', { hasText: 'Live:' }).waitFor();
    return { page, problems };
  }

  const levelOf = (page: Page, name: string) =>
    page.locator('tr[data-key^="readiness/"]', { has: page.locator('th', { hasText: name }) }).locator('.level');

  it('shows the server-rendered state with JavaScript off', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await flip(false, true);
    await page.goto(`${url}${PREFIX}/status`);
    expect(await levelOf(page, 'db').textContent()).toBe('✗ failing');
    expect(await page.locator('[data-probe-level="readiness"]').textContent()).toBe('✗ failing');
    expect(await page.locator('#live').textContent()).toContain('need JavaScript');
    await context.close();
  });

  it('updates live when a check flips, with no console error and no CSP violation, hostile text inert', async () => {
    const { page, problems } = await open();
    expect(await levelOf(page, 'db').textContent()).toBe('✓ passing');
    const started = Date.now();
    await flip(false, false);
    await levelOf(page, 'db').filter({ hasText: 'failing' }).waitFor({ timeout: 5000 });
    const elapsed = Date.now() - started;
    await levelOf(page, '<script>').filter({ hasText: 'degraded' }).waitFor({ timeout: 5000 });
    expect(await page.locator('[data-probe-level="readiness"]').textContent()).toBe('✗ failing');
    expect(await page.locator('tr[data-key="readiness/db"] [data-col="message"]').textContent()).toBe('db is down');
    expect(await page.locator('tr[data-key="readiness/db"] .timeline li').count()).toBeGreaterThanOrEqual(2);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('img').count()).toBe(0);
    expect(problems).toEqual([]);
    await page.screenshot({ path: join(shots, `${transport}.png`), fullPage: true });
    expect(
      readFileSync(join(shots, `${transport}.png`))
        .subarray(1, 4)
        .toString(),
    ).toBe('PNG');
    if (process.env.STATUS_SCREENSHOT && transport === 'express')
      await page.screenshot({ path: process.env.STATUS_SCREENSHOT, fullPage: true });
    console.info(`status page on ${transport}: the flip reached the page in ${elapsed} ms`);
    await page.context().close();
  });

  it('resumes after its stream is cut, receiving what it missed', async () => {
    const { page, problems } = await open();
    serverOf(app, transport).closeAllConnections();
    await flip(false, true);
    await levelOf(page, 'db').filter({ hasText: 'failing' }).waitFor({ timeout: 15_000 });
    // The reconnect itself logs nothing the page did wrong; a cut stream is a network error only.
    expect(problems.filter((text) => !/ERR_|net::/.test(text))).toEqual([]);
    await page.context().close();
  });

  it('follows the dark scheme and has accessible markup', async () => {
    const { page } = await open();
    const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await page.emulateMedia({ colorScheme: 'light' });
    expect(await background()).toBe('rgb(255, 255, 255)');
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await background()).toBe('rgb(13, 17, 23)');
    const audit = await page.evaluate(() => ({
      lang: document.documentElement.lang,
      landmarks: ['header', 'main', 'footer'].map((tag) => document.getElementsByTagName(tag).length),
      tables: [...document.querySelectorAll('table')].map((table) => ({
        caption: table.caption?.textContent ?? '',
        colHeaders: table.querySelectorAll('thead th[scope="col"]').length,
        rowsWithoutHeader: [...table.tBodies[0].rows].filter((row) => !row.querySelector('th[scope="row"]')).length,
      })),
      liveRegion: document.getElementById('live')?.getAttribute('aria-live'),
    }));
    expect(audit.lang).toBe('en');
    expect(audit.landmarks).toEqual([1, 1, 1]);
    expect(audit.tables.length).toBeGreaterThanOrEqual(3);
    for (const table of audit.tables) {
      expect(table.caption).not.toBe('');
      expect(table.colHeaders).toBeGreaterThan(0);
      expect(table.rowsWithoutHeader).toBe(0);
    }
    expect(audit.liveRegion).toBe('polite');
    await page.context().close();
  });
});
