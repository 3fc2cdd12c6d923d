/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import type { INestApplication } from '@nestjs/common';
import type { Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { HeartbeatManagementServer } from '../src/index.js';
import type { StatusStream } from '../src/interfaces/status-pages.interface.js';
import { HeartbeatStatus } from '../src/observers/status/heartbeat.status.js';
import { flipFlags, serveStatus, STATUS_TRANSPORTS, type StatusTransport } from './support/status.js';

const PREFIX = '/.well-known/heartbeat';

/**
 * Cuts the page's event stream as a proxy or a network would: every connection of the server that
 * carries it. The worker thread's server is out of reach: there the streams are dropped from the
 * main thread's side, which has the worker destroy their sockets.
 */
function cutStreams(app: INestApplication, transport: StatusTransport): void {
  if (transport === 'thread') {
    const events = (app.get(HeartbeatStatus) as unknown as { events: { streams: Set<StatusStream> } }).events;
    for (const stream of [...events.streams]) stream.destroy();
    return;
  }
  const server =
    transport === 'port'
      ? (app.get(HeartbeatManagementServer) as unknown as { server: Server }).server
      : (app.getHttpServer() as Server);
  server.closeAllConnections();
}

/** Blocks this thread (the app's main loop) for `ms`, as a long synchronous task would. */
function stallMainLoop(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

describe.each(STATUS_TRANSPORTS)('status page in Chromium on %s', (transport) => {
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

  const flip = (db: boolean, cache: boolean) => flipFlags(app, url, transport, db, cache);

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
    cutStreams(app, transport);
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

describe('status page in Chromium in thread mode: the main loop as the worker thread sees it', () => {
  let browser: Browser;
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
    ({ app, url } = await serveStatus('thread', { maxStallMs: 500, maxLagMs: 100 }));
  });
  afterAll(async () => {
    await app?.close();
    await browser?.close();
  });

  it('shows the lag and the stall, and updates them live while the main loop is stalled', async () => {
    const page = await (await browser.newContext()).newPage();
    const problems: string[] = [];
    page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(`${url}${PREFIX}/status`);
    await page.locator('#live', { hasText: 'Live:' }).waitFor();
    const stall = page.locator('tr[data-main="stall"]');
    expect(await stall.locator('th').textContent()).toBe('Stalled for');
    expect(await stall.locator('[data-col="limit"]').textContent()).toBe('500 ms (liveness)');
    expect(await page.locator('tr[data-main="lag"] [data-col="limit"]').textContent()).toBe('100 ms (readiness)');
    // Record each figure the page shows: the browser runs on while this thread (the app's main loop) is blocked.
    await page.evaluate(() => {
      const cell = document.querySelector('tr[data-main="stall"] [data-col="value"]')!;
      const seen: string[] = ((window as unknown as { __stalls: string[] }).__stalls = []);
      new MutationObserver(() =>
        seen.push(`${cell.textContent} ${cell.nextElementSibling!.nextElementSibling!.textContent}`),
      ).observe(cell, { childList: true, characterData: true, subtree: true });
    });
    stallMainLoop(2_500);
    const seen = await page.evaluate(() => (window as unknown as { __stalls: string[] }).__stalls);
    const stalled = seen.map((text) => /^(\d+) ms (.*)$/.exec(text)!).filter((match) => Number(match[1]) >= 1000);
    expect(stalled.length).toBeGreaterThan(0);
    expect(stalled[0][2]).toBe('✗ failing');
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
