import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probe, until } from './support/thread.js';

const FIXTURE = join(process.cwd(), 'test', 'fixtures', 'thread-app.mjs');
const BASE = '/.well-known/heartbeat';

/**
 * A real app process whose main loop the test blocks with a busy `while`: the probes come from this
 * process, so they are answered by the app's worker thread or not at all. The block ends when the
 * test creates a file, never after a time.
 */
describe('thread: true in a real process whose main loop is blocked', () => {
  let child: ChildProcess | undefined;
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'heartbeat-thread-'))));
  afterEach(async () => {
    // Releases a loop still blocked, so the app closes as it should.
    writeFileSync(join(dir, 'release'), '');
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.disconnect();
      await exited;
    }
    child = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  function start(maxStallMs: number, maxLagMs: number, env: Record<string, string> = {}): Promise<number> {
    child = fork(FIXTURE, [], {
      env: { ...process.env, MAX_STALL_MS: String(maxStallMs), MAX_LAG_MS: String(maxLagMs), ...env },
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    return new Promise((resolve, reject) => {
      let out = '';
      child!.stdout!.setEncoding('utf8');
      child!.stdout!.on('data', (chunk: string) => {
        out += chunk;
        const port = /PORT (\d+)/.exec(out);
        if (port) resolve(Number(port[1]));
      });
      child!.once('exit', (code) => reject(new Error(`the app exited with code ${code}`)));
    });
  }

  const json = async (port: number, probeName: string) => {
    const { status, body } = await probe(port, `${BASE}/${probeName}`);
    return { status, body: JSON.parse(body) as { status: boolean; mainThread: Record<string, unknown> } };
  };

  it('fails liveness once the loop has made no progress for maxStallMs, and passes again when it turns', async () => {
    const port = await start(1_000, 60_000);
    // A loaded machine may delay the loop now and then, but not by a whole second for good.
    await until(
      () => json(port, 'liveness'),
      ({ status }) => status === 200,
    );
    child!.send({ block: join(dir, 'release') });
    const stuck = await until(
      () => json(port, 'liveness'),
      ({ status }) => status === 500,
    );
    expect(stuck.body.status).toBe(false);
    expect(stuck.body.mainThread).toMatchObject({ status: false, maxStallMs: 1000 });
    expect(stuck.body.mainThread.stalledMs).toBeGreaterThan(1000);
    expect(stuck.body.mainThread.message).toMatch(
      /main event loop has made no progress for \d+ ms \(maxStallMs 1000\)/,
    );
    writeFileSync(join(dir, 'release'), '');
    const alive = await until(
      () => json(port, 'liveness'),
      ({ status }) => status === 200,
    );
    expect(alive.body.mainThread.status).toBe(true);
  });

  it('fails readiness while the loop lags over maxLagMs, keeps liveness below maxStallMs, and passes again after', async () => {
    const port = await start(600_000, 300);
    await until(
      () => json(port, 'readiness'),
      ({ status }) => status === 200,
    );
    child!.send({ block: join(dir, 'release') });
    const lagging = await until(
      () => json(port, 'readiness'),
      ({ status }) => status === 500,
    );
    expect(lagging.body.mainThread).toMatchObject({ status: false, maxLagMs: 300 });
    expect(lagging.body.mainThread.lagMs).toBeGreaterThan(300);
    // Late, not stuck: liveness holds until maxStallMs (10 minutes here).
    expect((await json(port, 'liveness')).status).toBe(200);
    writeFileSync(join(dir, 'release'), '');
    const ready = await until(
      () => json(port, 'readiness'),
      ({ status }) => status === 200,
    );
    expect(ready.body.mainThread.lagMs).toBeLessThanOrEqual(300);
  });

  it('on SIGTERM fails readiness on the worker port at once, keeps liveness, and closes the port with the app', async () => {
    const hold = join(dir, 'hold');
    const port = await start(600_000, 60_000, { HOLD_SHUTDOWN: hold });
    await until(
      () => json(port, 'readiness'),
      ({ status }) => status === 200,
    );
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child!.once('exit', (code, signal) => resolve({ code, signal })),
    );
    child!.kill('SIGTERM');
    // The app's close waits for the hold file: meanwhile the worker answers for the app shutting down.
    const draining = await until(
      () => json(port, 'readiness'),
      ({ status }) => status !== 200,
    );
    expect(draining.status).toBe(500);
    expect(draining.body.status).toBe(false);
    expect((await json(port, 'liveness')).status).toBe(200);
    writeFileSync(hold, '');
    // Nest re-raises the signal once the app has closed.
    expect(await exited).toEqual({ code: null, signal: 'SIGTERM' });
    await expect(probe(port, `${BASE}/liveness`)).rejects.toThrow(/ECONNREFUSED/);
  });
});
