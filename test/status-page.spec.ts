import { type CanActivate, type ExecutionContext, type INestApplication, Injectable, UseGuards } from '@nestjs/common';
import { HeartbeatModule, HeartbeatService, type HeartbeatModuleOptions } from '../src/index.js';
import { createApp } from './support/app.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { send } from './support/transports.js';
import {
  Flags,
  flipFlags,
  HOSTILE_MESSAGE,
  HOSTILE_NAME,
  openSse,
  serveStatus,
  type SseStream,
  STATUS_TRANSPORTS,
} from './support/status.js';

const PREFIX = '/.well-known/heartbeat';

describe.each(STATUS_TRANSPORTS)('status page, history and events on %s', (transport) => {
  let app: INestApplication;
  let url: string;
  let streams: SseStream[];

  beforeEach(async () => {
    ({ app, url } = await serveStatus(transport, { statusPage: { public: true, maxSubscribers: 2, keepAliveMs: 20 } }));
    streams = [];
  });
  afterEach(async () => {
    for (const stream of streams) stream.close();
    await app.close();
  });

  const flip = (db: boolean, cache = true) => flipFlags(app, url, transport, db, cache);
  // The worker thread's own readings of the main loop are tested on their own below.
  const sse = async (headers: Record<string, string> = {}, query = '') => {
    const stream = await openSse(url, `${PREFIX}/events${query}`, headers, ['mainthread']);
    streams.push(stream);
    return stream;
  };

  it('renders the current state with a per-response nonce, every hostile text escaped', async () => {
    await flip(false, false);
    const page = await send(url, 'GET', `${PREFIX}/status`);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = String(page.headers['content-security-policy']);
    const nonce = /'nonce-([^']+)'/.exec(csp)![1];
    expect(csp).toContain("default-src 'none'");
    expect(page.body).toContain(`<script nonce="${nonce}">`);
    expect(page.body.match(/<script/g)).toHaveLength(1);
    expect(page.body).not.toContain('<img');
    expect(page.body).toContain('&#60;script&#62;window.__pwned=1&#60;/script&#62;');
    expect(page.body).toMatch(/data-key="readiness\/db"[^]*✗ failing[^]*critical[^]*db is down/);
    expect(page.body).toContain('! degraded');
    // The main loop's lag and stall are the worker thread's figures: only in thread mode.
    expect(page.body.includes('<h2 id="h-main-thread">Main thread</h2>')).toBe(transport === 'thread');
    expect(page.headers['cache-control']).toBe('no-store');
    const again = await send(url, 'GET', `${PREFIX}/status`);
    expect(/'nonce-([^']+)'/.exec(String(again.headers['content-security-policy']))![1]).not.toBe(nonce);
  });

  it('answers the history newest first, per check, levels and messages included', async () => {
    await flip(true);
    await flip(false);
    await flip(true, false);
    const history = await send(url, 'GET', `${PREFIX}/history`);
    expect(history.status).toBe(200);
    const all = JSON.parse(history.body);
    expect(all).toMatchObject({ historySize: 50, truncated: false });
    const ids = all.transitions.map((entry: { id: number }) => entry.id);
    expect(ids).toEqual([...ids].sort((a: number, b: number) => b - a));
    const db = JSON.parse((await send(url, 'GET', `${PREFIX}/history?check=db`)).body).transitions;
    expect(db.map((entry: { to: string }) => entry.to)).toEqual(['pass', 'fail', 'pass']);
    expect(db[1]).toMatchObject({ type: 'check', probe: 'readiness', from: 'pass', message: 'db is down' });
    // The registry keeps a name on one line (`\n` as two characters): the history answers it as registered.
    const name = HOSTILE_NAME.replace('\n', '\\n');
    const hostile = JSON.parse(
      (await send(url, 'GET', `${PREFIX}/history?check=${encodeURIComponent(name)}`)).body,
    ).transitions;
    expect(hostile.map((entry: { check: string }) => entry.check)).toEqual([name, name]);
    expect(hostile[0]).toMatchObject({ to: 'degraded', from: 'pass' });
    expect(hostile[0].message).toBe(HOSTILE_MESSAGE.replace(/\r/g, '\\r').replace(/\n/g, '\\n'));
    expect(
      all.transitions.some((entry: { type: string; to: string }) => entry.type === 'probe' && entry.to === 'degraded'),
    ).toBe(true);
  });

  it('streams transitions, keeps the stream open with comments, and resumes after Last-Event-ID', async () => {
    await flip(true);
    const stream = await sse();
    expect(stream.response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    await flip(false, false);
    // The probe's own failure, published after its checks' entries: a transition of the first flip
    // may still arrive after the stream opened (the worker thread relays it).
    await stream.until((events) =>
      events.some((event) => event.event === 'probe' && JSON.parse(event.data).to === 'fail'),
    );
    const check = stream.events.find((event) => event.event === 'check' && JSON.parse(event.data).check === 'db')!;
    expect(JSON.parse(check.data)).toMatchObject({ to: 'fail', row: { level: 'fail', streak: 1 } });
    // The hostile message cannot forge an event: only the module's own types arrive.
    expect(stream.events.every((event) => ['check', 'probe'].includes(event.event!))).toBe(true);
    await stream.until(() => stream.comments > 0);
    stream.close();
    await flip(true, true);
    const resumed = await sse({ 'Last-Event-ID': check.id! });
    const lastId = Number(stream.events.at(-1)!.id);
    await resumed.until((events) => events.some((event) => Number(event.id) > lastId));
    expect(Number(resumed.events[0].id)).toBe(Number(check.id) + 1);
    expect(resumed.events.map((event) => JSON.parse(event.data).to)).toContain('pass');
  });

  it('refuses a subscriber over the cap with 503, and serves again once one leaves', async () => {
    const first = await sse();
    await sse();
    await expect(sse()).rejects.toMatchObject({ status: 503 });
    first.close();
    await first.ended;
    // The server hears of the close a moment later: poll until it has room again.
    for (let i = 0; ; i++) {
      try {
        await sse();
        break;
      } catch (error) {
        if (i > 100) throw error;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  });

  it('ends every stream at app.close() with a shutdown event', async () => {
    const stream = await sse();
    await app.close();
    await stream.ended;
    expect(stream.events.map((event) => event.event)).toEqual(['shutdown']);
    // Nothing is left listening (on the worker thread's port either): the port refuses a connection.
    await expect(send(url, 'GET', `${PREFIX}/readiness`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    app = await createApp('express', { imports: [HeartbeatModule.forRoot({ logger: false, environ: false })] });
  });

  it('streams the rotation switch and the readiness transitions it causes, and keeps them in the history', async () => {
    await flip(true);
    const stream = await sse();
    app.get(HeartbeatService).takeOutOfRotation('deploy');
    app.get(HeartbeatService).returnToRotation();
    // Four events (each may come in its own chunk, as from the worker thread).
    await stream.until((events) => events.length >= 4);
    const data = stream.events.map((event) => JSON.parse(event.data));
    expect(data.map((entry) => [entry.type, entry.inRotation ?? entry.to])).toEqual([
      ['rotation', false],
      ['probe', 'fail'],
      ['rotation', true],
      ['probe', 'pass'],
    ]);
    const history = JSON.parse((await send(url, 'GET', `${PREFIX}/history`)).body).transitions;
    expect(history.slice(0, 4).map((entry: { id: number }) => entry.id)).toEqual(
      data.map((entry) => entry.id).reverse(),
    );
  });

  it('tells every stream of the shutdown once, ends them, and refuses new ones', async () => {
    const first = await sse();
    const second = await sse();
    app.get(HeartbeatService).markShuttingDown();
    await Promise.all([first.ended, second.ended]);
    for (const stream of [first, second]) expect(stream.events.map((event) => event.event)).toEqual(['shutdown']);
    await expect(sse()).rejects.toMatchObject({ status: 503 });
    const history = JSON.parse((await send(url, 'GET', `${PREFIX}/history`)).body).transitions;
    expect(history.filter((entry: { type: string }) => entry.type === 'shutdown')).toHaveLength(1);
  });

  it('answers 405 to other methods', async () => {
    const answer = await send(url, 'POST', `${PREFIX}/history`);
    expect(answer.status).toBe(transport === 'port' || transport === 'thread' ? 405 : 404);
    if (answer.status === 405) expect(answer.headers.allow).toBe('GET, HEAD');
  });
});

/** Blocks this thread (the app's main loop) for `ms`, as a long synchronous task would. */
function stallMainLoop(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** GETs `url` from a thread of its own after `delayMs`, so that it arrives while this thread is stalled. */
function getLater(url: string, delayMs: number): { started: Promise<void>; body: Promise<string> } {
  const worker = new Worker(
    `const { workerData, parentPort } = require('node:worker_threads');
     setTimeout(() => require('node:http').get(workerData.url, (response) => {
       let body = '';
       response.setEncoding('utf8');
       response.on('data', (chunk) => (body += chunk));
       response.on('end', () => parentPort.postMessage(body));
     }), workerData.delayMs);`,
    { eval: true, workerData: { url, delayMs } },
  );
  const body = new Promise<string>((resolve, reject) => {
    worker.once('message', (text: string) => void worker.terminate().then(() => resolve(text)));
    worker.once('error', reject);
  });
  return { started: new Promise((resolve) => worker.once('online', () => resolve())), body };
}

describe('the status page in thread mode: the main loop as the worker thread sees it', () => {
  let app: INestApplication;
  let url: string;
  let streams: SseStream[];

  beforeEach(async () => {
    ({ app, url } = await serveStatus('thread', { maxStallMs: 500, maxLagMs: 100 }));
    streams = [];
  });
  afterEach(async () => {
    for (const stream of streams) stream.close();
    await app.close();
  });

  /** The figure and the status of the lag or stall row of `page`. */
  const figure = (page: string, key: 'lag' | 'stall') => {
    const row = new RegExp(
      `<tr data-main="${key}"><th scope="row">[^<]+</th><td data-col="value">(\\d+) ms</td>` +
        `<td data-col="limit" data-limit="(\\d+)">[^<]+</td><td data-col="level"><span class="level (\\w+)">`,
    ).exec(page);
    expect(row).not.toBeNull();
    return { ms: Number(row![1]), limit: Number(row![2]), level: row![3] };
  };

  it('renders the lag and the stall with the limits over which readiness and liveness fail', async () => {
    const page = await send(url, 'GET', `${PREFIX}/status`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<caption>The main loop as the worker thread sees it</caption>');
    expect(figure(page.body, 'lag')).toMatchObject({ limit: 100 });
    expect(figure(page.body, 'stall')).toMatchObject({ limit: 500 });
    expect(page.body).toContain('500 ms (liveness)');
  });

  it('shows a stall the worker saw when the page was asked for, the page answered once the loop turns', async () => {
    const later = getLater(`${url}${PREFIX}/status`, 800);
    await later.started;
    stallMainLoop(2_500);
    const page = await later.body;
    const stall = figure(page, 'stall');
    expect(stall.ms).toBeGreaterThanOrEqual(500);
    expect(stall.level).toBe('fail');
    expect(figure(page, 'lag').level).toBe('fail');
    expect(page).toMatch(/data-main="stall"[^]*✗ failing/);
  });

  it("streams the worker's readings while the main loop is stalled, without an id that would move Last-Event-ID", async () => {
    const stream = await openSse(url, `${PREFIX}/events`);
    streams.push(stream);
    await stream.until((events) => events.some((event) => event.event === 'mainthread'));
    stallMainLoop(2_500);
    const readings = () =>
      stream.events
        .filter((event) => event.event === 'mainthread')
        .map((event) => JSON.parse(event.data) as { stalledMs: number; lagMs: number; maxStallMs: number });
    await stream.until(() => readings().some((reading) => reading.stalledMs >= 1000));
    expect(readings()[0]).toMatchObject({ maxStallMs: 500, maxLagMs: 100 });
    expect(stream.events.filter((event) => event.event === 'mainthread').every((event) => event.id === undefined)).toBe(
      true,
    );
    // And the stream still carries the main thread's events afterwards.
    Object.assign(app.get(Flags), { db: false });
    await stream.until((events) => events.some((event) => event.event === 'check'));
  });
});

/** Lets a request through only with `x-token: ok`: the app's own guard, applied through routeDecorators. */
@Injectable()
class TokenGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>();
    return request.headers['x-token'] === 'ok';
  }
}

describe('where the status page is served', () => {
  let app: INestApplication | undefined;
  afterEach(() => app?.close());

  it.each(['express', 'fastify'] as const)('is not on the app port of %s unless guarded or public', async (adapter) => {
    let url: string;
    ({ app, url } = await serveStatus(adapter, { statusPage: {} }));
    for (const name of ['status', 'history', 'events'])
      expect((await send(url, 'GET', `${PREFIX}/${name}`)).status).toBe(404);
  });

  it.each(['express', 'fastify'] as const)(
    'is on the app port of %s behind routeDecorators, guarded',
    async (adapter) => {
      let url: string;
      const options = { statusPage: {}, routeDecorators: [UseGuards(TokenGuard)] } as HeartbeatModuleOptions;
      ({ app, url } = await serveStatus(adapter, options));
      for (const name of ['status', 'history']) {
        expect((await send(url, 'GET', `${PREFIX}/${name}`)).status).toBe(403);
        expect((await send(url, 'GET', `${PREFIX}/${name}`, { 'x-token': 'ok' })).status).toBe(200);
      }
      await expect(openSse(url, `${PREFIX}/events`)).rejects.toMatchObject({ status: 403 });
      (await openSse(url, `${PREFIX}/events`, { 'x-token': 'ok' })).close();
    },
  );

  it('shows no message anywhere with details: never', async () => {
    let url: string;
    ({ app, url } = await serveStatus('port', { details: 'never' }));
    Object.assign(app.get(Flags), { db: false });
    await send(url, 'GET', `${PREFIX}/readiness`);
    expect((await send(url, 'GET', `${PREFIX}/history`)).body).not.toContain('db is down');
    expect((await send(url, 'GET', `${PREFIX}/status`)).body).not.toContain('db is down');
  });

  it('summarises environ where environ is served, its version conflicts marked', async () => {
    const root = mkdtempSync(join(tmpdir(), 'heartbeat-status-environ-'));
    try {
      const manifest = (dir: string, json: object) => {
        mkdirSync(join(root, dir), { recursive: true });
        writeFileSync(join(root, dir, 'package.json'), JSON.stringify(json));
      };
      manifest('.', { name: 'app', version: '1.0.0', dependencies: { b: '^1.0.0', lib: '^1.0.0' } });
      manifest('node_modules/b', { name: 'b', version: '1.0.0', dependencies: { lib: '^2.0.0' } });
      manifest('node_modules/lib', { name: 'lib', version: '1.0.0' });
      let url: string;
      ({ app, url } = await serveStatus('port', { environ: { root } }));
      // environ waits for the inventory (started at bootstrap) to finish; the page then shows it whole.
      expect((await send(url, 'GET', `${PREFIX}/environ`)).body).toContain('invalid: lib@1.0.0');
      const page = (await send(url, 'GET', `${PREFIX}/status`)).body;
      expect(page).toContain('<h2 id="h-environ">Environment</h2>');
      expect(page).toMatch(/<th scope="row">lib<\/th><td>1\.0\.0<\/td><td class="conflict">conflict: [^<]*\^2\.0\.0/);
      await app.close();
      ({ app, url } = await serveStatus('express', { environ: { root, public: false } }));
      expect((await send(url, 'GET', `${PREFIX}/environ`)).status).toBe(404);
      expect((await send(url, 'GET', `${PREFIX}/status`)).body).not.toContain('Environment');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('caps the history body at 256 KiB, newest kept, and says it was truncated', async () => {
    let url: string;
    ({ app, url } = await serveStatus('port', { statusPage: { historySize: 1000 } }));
    const flags = app.get(Flags);
    flags.dbMessage = 'm'.repeat(1000);
    for (let i = 0; i < 1200; i++) {
      flags.db = i % 2 === 1;
      await send(url, 'GET', `${PREFIX}/readiness`);
    }
    const answer = await send(url, 'GET', `${PREFIX}/history?check=db`);
    expect(Buffer.byteLength(answer.body)).toBeLessThanOrEqual(256 * 1024);
    const history = JSON.parse(answer.body);
    expect(history.truncated).toBe(true);
    expect(history.transitions.length).toBeGreaterThan(100);
    expect(history.transitions[0].to).toBe('pass');
    // Messages are one line of at most 300 characters, as probe bodies cut them.
    expect(history.transitions[1].message.length).toBeLessThanOrEqual(300);
  }, 60_000);

  it.each(['port', 'thread'] as const)('is off with statusPage: false (%s)', async (transport) => {
    let url: string;
    ({ app, url } = await serveStatus(transport, { statusPage: false }));
    for (const name of ['status', 'history', 'events'])
      expect((await send(url, 'GET', `${PREFIX}/${name}`)).status).toBe(404);
  });

  it.each([
    [{ historySize: 0 }, 'statusPage.historySize'],
    [{ maxSubscribers: 1.5 }, 'statusPage.maxSubscribers'],
    [{ colour: 'red' }, 'statusPage.colour'],
    ['yes', 'statusPage'],
  ])('rejects statusPage %p at bootstrap, naming %s', async (statusPage, name) => {
    await expect(serveStatus('port', { statusPage: statusPage as never })).rejects.toThrow(name);
  });
});
