import { type ChildProcess, spawn } from 'node:child_process';
import { get as httpGet } from 'node:http';
import { join } from 'node:path';

const FIXTURE = join(process.cwd(), 'test', 'fixtures', 'hostile-app.mjs');
const BASE = '/.well-known/heartbeat';

interface Started {
  child: ChildProcess;
  app: number;
  port: number;
  checks: string[];
  stderr: () => string;
}

function start(adapter: string, details = 'safe'): Promise<Started> {
  const child = spawn(process.execPath, ['--unhandled-rejections=strict', FIXTURE], {
    env: { ...process.env, ADAPTER: adapter, DETAILS: details, NODE_ENV: 'test' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let errors = '';
  child.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /READY (.*)\n/.exec(output);
      if (match) resolve({ child, ...JSON.parse(match[1]), stderr: () => errors });
    });
    child.once('exit', (code) => reject(new Error(`the app exited early with ${code}: ${errors}`)));
  });
}

function fetchOnce(port: number, path: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    httpGet({ host: '127.0.0.1', port, path, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, type: String(response.headers['content-type']), body }),
      );
    }).on('error', reject);
  });
}

type Checks = Record<string, { status: boolean; message?: string }>;

/** What every answer to a hostile catalogue must look like, whatever the transport. */
function assertWellFormed(res: { status: number; type: string; body: string }): Checks {
  expect(res.status).toBe(500);
  expect(res.type).toBe('application/json; charset=utf-8');
  expect(res.body).not.toMatch(/\n\s+at /);
  // The body cap the README documents: the kubelet reads 10 KiB.
  expect(Buffer.byteLength(res.body)).toBeLessThanOrEqual(10 * 1024);
  const body = JSON.parse(res.body) as { status: boolean; checks: Checks };
  expect(body.status).toBe(false);
  for (const [name, check] of Object.entries(body.checks)) {
    expect(name.replace(/#\d+$/, '').length).toBeLessThanOrEqual(200);
    expect(name).not.toMatch(/[\n\r]/);
    if (check.message !== undefined) {
      expect(typeof check.message).toBe('string');
      // A message a handler returned in its data is its own (JSON escapes it); the module's are capped.
      if (!name.startsWith('db\\n')) expect(check.message.length).toBeLessThanOrEqual(300);
    }
  }
  return body.checks;
}

/**
 * Every check of the catalogue: the whole probe's body, capped at 10 KiB, keeps the failing checks it
 * has room for (without their data, with short reasons); the others, and those whose reason was
 * cut, are read alone, each from its one-check route.
 */
async function everyCheck(port: number, names: readonly string[]): Promise<Checks> {
  const whole = await fetchOnce(port, `${BASE}/readiness`);
  const found = assertWellFormed(whole);
  const { truncated } = JSON.parse(whole.body) as { truncated?: string };
  const omitted = Number(/, and (\d+) of \d+ checks/.exec(truncated ?? '')?.[1] ?? 0);
  expect(Object.keys(found).length + omitted).toBe(names.length);
  for (const name of names) {
    // A check the capped body kept carries a short reason; read alone, it has its whole message.
    if (Object.hasOwn(found, name) && !found[name].message?.endsWith('… [truncated]')) continue;
    const alone = await fetchOnce(port, `${BASE}/readiness/${encodeURIComponent(name)}`);
    Object.assign(found, assertWellFormedAlone(alone));
  }
  return found;
}

function assertWellFormedAlone(res: { status: number; type: string; body: string }): Checks {
  expect([200, 500]).toContain(res.status);
  expect(res.body).not.toMatch(/\n\s+at /);
  return (JSON.parse(res.body) as { checks: Checks }).checks;
}

describe.each(['express', 'fastify'])('hostile handlers in a real process (%s)', (adapter) => {
  let started: Started | undefined;
  afterEach(() => {
    if (started && started.child.exitCode === null) started.child.kill('SIGKILL');
    started = undefined;
  });

  it('turns every hostile value and thenable into a check, on the app and the port, and never crashes', async () => {
    started = await start(adapter);
    const { app, port, checks } = started;
    for (const round of [1, 2]) {
      for (const server of [app, port]) {
        const found = await everyCheck(server, checks);
        expect(Object.keys(found)).toHaveLength(checks.length);
        // Nothing is wedged: only the thenable that never settles waits on a pending call (from the
        // second call on: on the first, it may have been read with the whole probe, which timed it out).
        const waiting = Object.entries(found).filter(([, check]) => check.message?.includes('has not settled'));
        expect(waiting.map(([name]) => name)).toEqual(
          round === 1 && server === app && waiting.length === 0 ? [] : ['thenable-neverSettles'],
        );
        expect(found['thenable-nativeSyncThen']).toEqual({ status: true });
        expect(found['thenable-callsBackTwice']).toEqual({ status: true });
        expect(found['thenable-nativeThrowingThen']).toEqual({
          status: false,
          message:
            "thenable-nativeThrowingThen failed: threw Error; its text is withheld from probe bodies (see the Heartbeat log, or set details: 'always')",
        });
        expect(found['throw-revokedProxy'].message).toBe(
          "throw-revokedProxy failed: threw a value that could not be inspected; its text is withheld from probe bodies (see the Heartbeat log, or set details: 'always')",
        );
        expect(found['return-revokedProxy'].message).toMatch(/^return-revokedProxy returned an invalid result: /);
        expect(found['thenable-neverSettles'].message).toMatch(/^thenable-neverSettles timed out after 200 ms/);
        expect(found['db\\n[+]forged ok']).toEqual({ status: false, message: 'line one\nreadiness check passed' });
      }
    }
    for (const name of checks) {
      for (const server of [app, port]) {
        const res = await fetchOnce(server, `${BASE}/readiness/${encodeURIComponent(name)}`);
        expect([200, 404, 500]).toContain(res.status);
        expect(res.body).not.toMatch(/\n\s+at /);
        JSON.parse(res.body);
      }
    }
    const text = await fetchOnce(app, `${BASE}/readiness?verbose`);
    expect(text.body.split('\n').filter((line) => line.startsWith('[+]forged'))).toEqual([]);
    expect(text.body).not.toContain('hunter2');

    expect(started.child.exitCode).toBeNull();
    expect((await fetchOnce(app, `${BASE}/liveliness`)).status).toBe(200);
    expect(started.stderr()).not.toMatch(/Unhandled|unhandled/);
  }, 60_000);
});

describe("hostile handlers with details: 'always'", () => {
  let started: Started | undefined;
  afterEach(() => {
    if (started && started.child.exitCode === null) started.child.kill('SIGKILL');
  });

  it('shows error text with URL passwords masked, and still never crashes', async () => {
    started = await start('express', 'always');
    const found = await everyCheck(started.port, started.checks);
    expect(found['throw-secretError'].message).toBe(
      'throw-secretError failed: connect postgres://app:***@db:5432/app failed',
    );
    expect(found['reject-throwingMessage'].message).toBe(
      'reject-throwingMessage failed: threw a value that could not be inspected',
    );
    expect(found['thenable-nativeThrowingThen'].message).toBe('thenable-nativeThrowingThen failed: then exploded');
    expect(JSON.stringify(found)).not.toContain('hunter2');
    expect(started.child.exitCode).toBeNull();
  }, 60_000);
});
