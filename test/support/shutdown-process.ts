import { type ChildProcess, spawn } from 'node:child_process';
import { Agent, get as httpGet } from 'node:http';
import { join } from 'node:path';

const FIXTURE = join(process.cwd(), 'test', 'fixtures', 'shutdown-app.mjs');

/** How the fixture process ended, and when the test saw it end. */
export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly at: number;
}

/** A running `test/fixtures/shutdown-app.mjs`, with its output as it arrives. */
export interface AppProcess {
  readonly child: ChildProcess;
  /** Lines written to stdout so far. */
  readonly lines: string[];
  /** Everything written to stderr so far (an unhandled rejection or a crash ends up here). */
  stderr(): string;
  /** Resolves with the first stdout line matching `pattern`, already written or still to come. */
  line(pattern: RegExp): Promise<string>;
  readonly exited: Promise<Exit>;
}

/** Starts the fixture with `env` (see the fixture's header for the variables). */
export function spawnApp(env: Record<string, string>): AppProcess {
  const child = spawn(process.execPath, [FIXTURE], {
    env: { ...process.env, KUBERNETES_SERVICE_HOST: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  let pending = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    pending += chunk;
    let newline: number;
    while ((newline = pending.indexOf('\n')) !== -1) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      lines.push(line);
      for (const waiter of [...waiters]) {
        if (waiter.pattern.test(line)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    }
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  const line = (pattern: RegExp) => {
    const found = lines.find((seen) => pattern.test(seen));
    if (found !== undefined) return Promise.resolve(found);
    const waited = new Promise<string>((resolve) => waiters.push({ pattern, resolve }));
    // An app that dies first fails the test at once instead of at the test's timeout.
    return Promise.race([
      waited,
      exited.then((exit) => {
        throw new Error(`the app exited (${exit.code ?? exit.signal}) before printing ${pattern}: ${stderr}`);
      }),
    ]);
  };
  return { child, lines, stderr: () => stderr, line, exited };
}

/** Starts the fixture and waits until its app listens; resolves with the app's port. */
export async function startApp(env: Record<string, string>): Promise<AppProcess & { port: number }> {
  const app = spawnApp(env);
  const port = Number(/PORT (\d+)/.exec(await app.line(/^PORT \d+/))![1]);
  return { ...app, port };
}

/** Kills a fixture that is still running (a failed test must not leave it behind). */
export function killIfRunning(app: AppProcess | undefined): void {
  if (app && app.child.exitCode === null && app.child.signalCode === null) app.child.kill('SIGKILL');
}

/** Whether the process ended by itself after SIGTERM: Nest re-raises the signal once it has closed. */
export function endedBySigterm(exit: Exit): boolean {
  return exit.code === 0 || (exit.code === null && exit.signal === 'SIGTERM');
}

/** A response as the client saw it. */
export interface Answer {
  readonly status: number;
  readonly body: string;
  readonly connection: string | undefined;
}

/** One GET; `agent: false` opens a fresh connection (no keep-alive, like the kubelet). */
export function get(port: number, path: string, agent: Agent | false = false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = httpGet({ host: '127.0.0.1', port, path, agent }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, body, connection: response.headers.connection }),
      );
      response.on('error', reject);
    });
    request.on('error', reject);
  });
}

let sequence = 0;
/** A number larger than every one handed out before: orders the test's own events without a clock. */
export function nextInSequence(): number {
  return ++sequence;
}

/** One request of a load loop: when it was sent and how it ended. */
export interface Outcome {
  readonly sentAt: number;
  readonly endedAt: number;
  /** `nextInSequence()` when the request was sent. */
  readonly sent: number;
  readonly answer?: Answer;
  readonly error?: string;
}

/**
 * Steady keep-alive load: `loops` clients on one keep-alive agent, each sending its next request as
 * soon as the last one ended, until `stop()`. Outcomes are listed in the order they ended.
 */
export function keepAliveLoad(port: number, path: string, loops = 4) {
  const agent = new Agent({ keepAlive: true, maxSockets: loops });
  const outcomes: Outcome[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const record = (outcome: Outcome) => {
    outcomes.push(outcome);
    const keptAlive = outcomes.filter((seen) => seen.answer?.connection === 'keep-alive').length;
    for (const waiter of waiters.filter((waiting) => keptAlive >= waiting.count)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  };
  let stopped = false;
  const loop = async () => {
    while (!stopped) {
      const sentAt = Date.now();
      const sent = nextInSequence();
      try {
        const answer = await get(port, path, agent);
        record({ sentAt, endedAt: Date.now(), sent, answer });
      } catch (error) {
        record({
          sentAt,
          endedAt: Date.now(),
          sent,
          error: (error as NodeJS.ErrnoException).code ?? String(error),
        });
        // The server is gone or going: no need to spin on refusals.
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  };
  const running = Promise.all(Array.from({ length: loops }, loop));
  return {
    outcomes,
    /** Resolves once `count` answers came on kept-alive connections. */
    keptAlive(count: number): Promise<void> {
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    async stop(): Promise<Outcome[]> {
      stopped = true;
      await running;
      agent.destroy();
      return outcomes;
    },
  };
}
