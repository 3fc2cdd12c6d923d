import { Worker } from 'node:worker_threads';
import type { Observable } from 'rxjs';
import {
  MANAGEMENT_LISTEN_FAILED,
  THREAD_FAILED,
  THREAD_START_FAILED,
  THREAD_UNAVAILABLE,
} from '../heartbeat.messages.js';
import type { ResolvedHeartbeatOptions } from '../heartbeat.options.js';
import type { ProbeKind } from '../interfaces/probe.interface.js';
import type { StatusPages } from '../interfaces/status-pages.interface.js';
import type { HealthState } from '../state/health-state.js';
import type { ProbeEvaluator } from '../run/probe-evaluator.js';
import { oneLine, reasonOf } from '../util/text.js';
import type { ProbeResponse } from '../report/formats/response.js';
import type { ManagementServerLimits } from './probe-http.js';
import {
  type MainMessage,
  PROGRESS_MARK_INTERVAL_MS,
  type ProgressMarks,
  type WorkerMessage,
} from './thread.protocol.js';
import { defaultEntry, type ThreadWorkerSource, workerSetup } from './thread.setup.js';
import { ThreadStatusRelay } from './thread.status.js';

/** What the main-thread side needs of the app. */
export interface ThreadApp {
  /** The management port's answer to any request (`HeartbeatManagementServer.answer`). */
  answer(method: string, url: string, accept: string | undefined): Promise<{ response: ProbeResponse; allow?: string }>;
  readonly health: HealthState;
  readonly evaluator: ProbeEvaluator;
  /** The status observer, which the worker's status routes reach through a `ThreadStatusRelay`. */
  readonly statusPages?: StatusPages;
}

/** How often every response is published again even without a result (environ's uptime, a stale result). */
const REPUBLISH_INTERVAL_MS = 1_000;
/** How long the worker has at shutdown to close its server before it is terminated. */
const CLOSE_TIMEOUT_MS = 2_000;

/**
 * The main thread's side of `thread: true`: starts the worker, marks the main loop's progress in
 * shared memory, publishes each probe's response whenever a result, the rotation or the shutdown
 * changes it (and every `REPUBLISH_INTERVAL_MS`), answers what the worker forwards, and stops the
 * worker at shutdown. A result that reports the same again publishes nothing.
 */
export class ManagementThread {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly unwatch: (() => void)[] = [];
  private readonly sent = new Map<ProbeKind, ProbeResponse>();
  private scheduled = false;
  private stopping = false;
  private exited = false;
  private readonly status: ThreadStatusRelay;
  address: { host: string; port: number } | null = null;

  private constructor(
    private readonly worker: Worker,
    private readonly app: ThreadApp,
    private readonly options: ResolvedHeartbeatOptions,
    private readonly routes: ReadonlyMap<ProbeKind, string>,
    private readonly marks: ProgressMarks,
    prefix: string,
  ) {
    this.status = new ThreadStatusRelay(app.statusPages, prefix, (message) => this.send(message));
  }

  /** Starts the worker and resolves once it listens and has every probe's response; rejects with the reason it could not. */
  static async start(
    setup: {
      options: ResolvedHeartbeatOptions;
      prefix: string;
      limits: ManagementServerLimits;
      source?: ThreadWorkerSource;
    },
    app: ThreadApp,
  ): Promise<ManagementThread> {
    const { options, prefix, limits, source } = setup;
    const WorkerClass = source?.Worker === undefined ? Worker : source.Worker;
    if (!WorkerClass || typeof SharedArrayBuffer !== 'function' || typeof Atomics !== 'object') {
      throw new Error(THREAD_UNAVAILABLE(WorkerClass ? 'no SharedArrayBuffer' : 'no Worker'));
    }
    const { config, routes, marks } = workerSetup(options, prefix, limits);
    let worker: Worker;
    try {
      worker = new WorkerClass(source?.entry ?? defaultEntry(), { workerData: config });
    } catch (error) {
      throw new Error(THREAD_UNAVAILABLE(oneLine(reasonOf(error))), { cause: error });
    }
    const started = new ManagementThread(worker, app, options, routes, marks, prefix);
    await started.ready();
    return started;
  }

  /** Starts marking, waits for the worker's `ready`, then starts publishing. */
  private async ready(): Promise<void> {
    // Marks from the start: the worker would count its own start-up as the main loop's lag.
    this.marks.mark();
    this.every(PROGRESS_MARK_INTERVAL_MS, () => this.marks.mark());
    const { host, port } = this.options;
    const worker = this.worker;
    // Listeners for the worker's whole life: an 'error' without a listener would crash the app.
    worker.on('error', (error) => this.failed(oneLine(reasonOf(error))));
    worker.on('exit', (code) => {
      this.exited = true;
      if (!this.stopping) this.failed(`it exited with code ${code}`);
    });
    try {
      this.address = await new Promise((resolve, reject) => {
        const fail = (reason: string) => reject(new Error(THREAD_START_FAILED(reason)));
        worker.once('error', (error) => fail(oneLine(reasonOf(error))));
        worker.once('exit', (code) => fail(`it exited with code ${code} before listening`));
        worker.once('message', (message: WorkerMessage) => {
          if (message.type === 'ready') resolve({ host: message.host, port: message.port });
          else if (message.type === 'failed') reject(new Error(MANAGEMENT_LISTEN_FAILED(host, port!, message.message)));
        });
      });
    } catch (error) {
      this.stopping = true;
      for (const timer of this.timers) clearInterval(timer);
      await worker.terminate();
      throw error;
    }
    worker.on('message', (message: WorkerMessage) => this.onMessage(message));
    this.every(REPUBLISH_INTERVAL_MS, () => this.schedule());
    const { health, evaluator } = this.app;
    this.unwatch.push(
      health.observe({ changed: (kind) => this.changed(kind) }),
      subscribed(evaluator.rotation$, () => this.schedule()),
    );
    await this.publish();
  }

  private every(ms: number, tick: () => void): void {
    const timer = setInterval(tick, ms);
    timer.unref();
    this.timers.push(timer);
  }

  private failed(reason: string): void {
    this.options.logger?.error(THREAD_FAILED(reason));
  }

  private send(message: MainMessage): void {
    if (!this.stopping) this.worker.postMessage(message);
  }

  private onMessage(message: WorkerMessage): void {
    if (message.type !== 'forward') return this.status.onMessage(message);
    const { id, method, url, accept } = message;
    void this.app
      .answer(method, url, accept)
      .then(({ response, allow }) => this.send({ type: 'answer', id, response, allow }));
  }

  /**
   * What a check reports changed, so its probe's response may have. Not for environ: its
   * contributors run when a publish asks for environ, so their change is in that publish already;
   * another publish would run them again, and one whose data is new on every call (a nested object)
   * would publish for ever. The republish timer keeps environ fresh.
   */
  private changed(kind: ProbeKind): void {
    if (kind !== 'environ') this.schedule();
  }

  /** Publishes once per turn of the loop however many results came in it. */
  private schedule(): void {
    if (this.scheduled || this.stopping) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.publish();
    });
  }

  /** Sends the worker each probe's response (what the main-thread port would answer) that changed, and the shutdown. */
  private async publish(): Promise<void> {
    this.send({ type: 'state', shuttingDown: this.app.evaluator.isShuttingDown() });
    for (const [kind, path] of this.routes) {
      const { response } = await this.app.answer('GET', path, undefined);
      const before = this.sent.get(kind);
      if (before?.statusCode === response.statusCode && before.body === response.body) continue;
      this.sent.set(kind, response);
      this.send({ type: 'publish', kind, response });
    }
  }

  /** Closes the worker's server (idle connections at once), then ends the worker. */
  async stop(): Promise<void> {
    // A last publish: readiness says the app is shutting down until the port closes.
    await this.publish();
    this.stopping = true;
    for (const timer of this.timers) clearInterval(timer);
    for (const unwatch of this.unwatch) unwatch();
    const closed = new Promise<void>((resolve) => {
      if (this.exited) return resolve();
      const timer = setTimeout(resolve, CLOSE_TIMEOUT_MS);
      timer.unref();
      this.worker.on('message', (message: WorkerMessage) => message.type === 'closed' && resolve());
      this.worker.once('exit', () => resolve());
    });
    this.worker.postMessage({ type: 'close' } satisfies MainMessage);
    await closed;
    await this.worker.terminate();
  }
}

/** Subscribes `next` to `source`; returns the function that unsubscribes it. */
function subscribed<T>(source: Observable<T>, next: () => void): () => void {
  const subscription = source.subscribe(next);
  return () => subscription.unsubscribe();
}
