import { type ChildProcess, spawn } from 'node:child_process';
import { get as httpGet } from 'node:http';
import { join } from 'node:path';

const FIXTURE = join(process.cwd(), 'test', 'fixtures', 'shutdown-app.mjs');
const DELAY_MS = 3000;

/** One request on a fresh connection (no keep-alive, like the kubelet). */
function fetchOnce(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpGet({ host: '127.0.0.1', port, path, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', reject);
  });
}

function start(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [FIXTURE], {
    env: { ...process.env, SHUTDOWN_DELAY_MS: String(DELAY_MS), SLOW_MS: '600' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /PORT (\d+)/.exec(output);
      if (match) resolve({ child, port: Number(match[1]) });
    });
    child.once('exit', (code) => reject(new Error(`the app exited early with ${code}`)));
  });
}

describe('graceful shutdown of a real process', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  it('fails readiness at once on SIGTERM, keeps serving during the delay, and ends by itself', async () => {
    const started = await start();
    child = started.child;
    const { port } = started;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
      child!.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
    );

    expect((await fetchOnce(port, '/.well-known/heartbeat/readiness')).status).toBe(200);
    const inFlight = fetchOnce(port, '/slow');
    await new Promise((resolve) => setTimeout(resolve, 50));

    const signalledAt = Date.now();
    child.kill('SIGTERM');
    let readiness = await fetchOnce(port, '/.well-known/heartbeat/readiness');
    const firstAnswerMs = Date.now() - signalledAt;
    expect(readiness.status).toBe(500);
    expect(JSON.parse(readiness.body)).toEqual({
      status: false,
      checks: { shutdown: { status: false, message: 'the instance is shutting down' } },
    });
    // "At once": the first readiness request after the signal already fails (loose bound).
    expect(firstAnswerMs).toBeLessThan(500);

    const liveliness = await fetchOnce(port, '/.well-known/heartbeat/liveliness');
    expect(liveliness.status).toBe(200);
    for (const waitMs of [200, 600]) {
      await new Promise((resolve) => setTimeout(resolve, waitMs));
      const ordinary = await fetchOnce(port, '/');
      expect(ordinary).toEqual({ status: 200, body: '{"hello":"world"}' });
      readiness = await fetchOnce(port, '/.well-known/heartbeat/readiness');
      expect(readiness.status).toBe(500);
    }
    expect(await inFlight).toEqual({ status: 200, body: '{"slow":true}' });

    const exit = await exited;
    // Nest re-raises SIGTERM after its shutdown; either way the process ended by itself, not by a kill of ours.
    expect(exit.code === 0 || exit.signal === 'SIGTERM').toBe(true);
    expect(exit.at - signalledAt).toBeGreaterThanOrEqual(DELAY_MS - 50);
    expect(exit.at - signalledAt).toBeLessThan(DELAY_MS + 5000);
  }, 30_000);
});
