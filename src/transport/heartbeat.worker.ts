/*
 * The management port's worker thread (`thread: true`), started by `ManagementThread` from its
 * built file. It loads this file, the route table and the small Nest-free files they import, never
 * the app's code or Nest: its import graph is checked by test/thread-worker-imports.spec.ts. It
 * answers the kubelet's requests (a whole probe, no query, `Accept: *\/*` or none) from the
 * responses the main thread published, judged against the main loop's progress marks (read when a
 * request comes: the worker has no timer, so while idle it does nothing), and forwards any other
 * request to the main thread; the status routes go through `WorkerStatus`.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import { FORWARD_TIMED_OUT, MAIN_LOOP_LAGGING, MAIN_LOOP_STALLED, SHUTTING_DOWN } from '../heartbeat.messages.js';
import type { ProbeKind } from '../interfaces/probe.interface.js';
import type { ProbeResponse } from '../report/formats/response.js';
import { matchRoute } from '../probe/route-table.js';
import { withMainThread } from '../report/formats/json.format.js';
import { ALLOWED_METHODS, PROBE_HEADERS, REFUSED } from './probe-answers.js';
import { addressOf, closeProbeServer, listenProbeServer, writeProbeResponse } from './probe-http.js';
import {
  type MainLoopHealth,
  mainLoopHealth,
  type MainMessage,
  type WorkerConfig,
  type WorkerMessage,
} from './thread.protocol.js';
import { WorkerStatus } from './worker.status.js';

/** A published response, with its JSON parsed once when the worker adds the main loop's verdict to it. */
interface Published {
  readonly response: ProbeResponse;
  readonly report: Record<string, unknown> | null;
}

/** A request waiting for the main thread's answer. */
interface Forwarded {
  readonly response: ServerResponse;
  readonly head: boolean;
  readonly timer: NodeJS.Timeout;
}

const config = workerData as WorkerConfig;
const port = parentPort!;
const marks = new BigInt64Array(config.marks);
const published = new Map<ProbeKind, Published>();
const forwarded = new Map<number, Forwarded>();
const served = (kind: ProbeKind) => config.served.includes(kind);
let shuttingDown = false;
let nextId = 0;
let server: Server | null = null;

const post = (message: WorkerMessage) => port.postMessage(message);
const status = config.statusPage
  ? new WorkerStatus(config.prefix, config.limits.requestTimeoutMs, post, () => ({
      ...mainLoopHealth(marks),
      maxLagMs: config.maxLagMs,
      maxStallMs: config.maxStallMs,
    }))
  : null;

/** The main loop's verdict on a probe: liveness fails on a stall, readiness on lag; `null` for the others. */
function verdictOf(
  kind: ProbeKind,
  { stalledMs, lagMs }: MainLoopHealth,
): { status: boolean; [key: string]: unknown } | null {
  const { maxStallMs, maxLagMs } = config;
  if (kind === 'liveliness') {
    const status = stalledMs <= maxStallMs;
    const verdict = { status, stalledMs, lagMs, maxStallMs };
    return status ? verdict : { ...verdict, message: MAIN_LOOP_STALLED(stalledMs, maxStallMs) };
  }
  if (kind !== 'readiness') return null;
  const status = lagMs <= maxLagMs;
  const verdict = { status, lagMs, maxLagMs };
  return status ? verdict : { ...verdict, message: MAIN_LOOP_LAGGING(lagMs, maxLagMs) };
}

/** The published response of a whole probe, with the main loop's verdict added by the serializer's JSON format. */
function judged(kind: ProbeKind, { response, report }: Published): ProbeResponse {
  const mainThread = report && verdictOf(kind, mainLoopHealth(marks));
  return report && mainThread ? withMainThread(response, report, mainThread, config.failureStatusCode) : response;
}

function forward(request: IncomingMessage, response: ServerResponse, head: boolean): void {
  const id = nextId++;
  const timer = setTimeout(() => {
    forwarded.delete(id);
    const body = JSON.stringify({ statusCode: 503, message: FORWARD_TIMED_OUT });
    writeProbeResponse(response, { statusCode: 503, contentType: PROBE_HEADERS['Content-Type'], body }, { head });
  }, config.limits.requestTimeoutMs);
  forwarded.set(id, { response, head, timer });
  post({ type: 'forward', id, method: request.method ?? '', url: request.url ?? '/', accept: request.headers.accept });
}

function handle(request: IncomingMessage, response: ServerResponse): void {
  const method = request.method ?? '';
  const url = request.url ?? '/';
  const head = method === 'HEAD';
  const accept = request.headers.accept;
  if (status?.owns(url)) return status.forward(request, response);
  // A query (a view, `exclude`) or /metrics is the main thread's to answer: `match` stays null.
  const match = url.includes('?') || url === '/metrics' ? null : matchRoute(config.prefix, method, url, served);
  if (match?.refused !== undefined) {
    const allow = match.refused === 405 ? ALLOWED_METHODS : undefined;
    return writeProbeResponse(response, REFUSED[match.refused], { head, closing: shuttingDown, allow });
  }
  // The kubelet's request: a whole probe in the default format.
  const kept = match && match.route.check === undefined && (accept === undefined || accept === '*/*');
  const entry = kept ? published.get(match.route.kind) : undefined;
  if (!match || !entry) return forward(request, response, head);
  writeProbeResponse(response, judged(match.route.kind, entry), { head, closing: shuttingDown });
}

function parsed(body: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(body);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

async function close(): Promise<void> {
  status?.close();
  for (const [id, { response, head, timer }] of forwarded) {
    clearTimeout(timer);
    forwarded.delete(id);
    // The app closes before it could answer: it is shutting down, which is what the client is told.
    const body = JSON.stringify({ statusCode: 503, message: SHUTTING_DOWN });
    writeProbeResponse(
      response,
      { statusCode: 503, contentType: PROBE_HEADERS['Content-Type'], body },
      { head, closing: true },
    );
  }
  if (server) await closeProbeServer(server);
  post({ type: 'closed' });
  port.close();
}

port.on('message', (message: MainMessage) => {
  if (status?.onMessage(message)) return;
  if (message.type === 'publish') {
    const report = message.kind === 'readiness' || message.kind === 'liveliness' ? parsed(message.response.body) : null;
    published.set(message.kind, { response: message.response, report });
  } else if (message.type === 'state') {
    shuttingDown = message.shuttingDown;
  } else if (message.type === 'answer') {
    const waiting = forwarded.get(message.id);
    if (!waiting) return;
    forwarded.delete(message.id);
    clearTimeout(waiting.timer);
    const { allow } = message;
    writeProbeResponse(waiting.response, message.response, { head: waiting.head, closing: shuttingDown, allow });
  } else if (message.type === 'close') void close();
});

listenProbeServer(config.limits, config.host, config.port, handle).then(
  (listening) => {
    server = listening;
    post({ type: 'ready', ...addressOf(listening) });
  },
  (error: Error) => {
    post({ type: 'failed', message: error.message });
    port.close();
  },
);
