import type { IncomingMessage, ServerResponse } from 'node:http';
import { FORWARD_TIMED_OUT, SHUTTING_DOWN } from '../heartbeat.messages.js';
import type { MainThreadReading } from '../interfaces/status-pages.interface.js';
import { PROBE_HEADERS } from './probe-answers.js';
import { writeProbeResponse } from './probe-http.js';
import type { MainMessage, WorkerMessage } from './thread.protocol.js';

/*
 * The worker thread's side of the status routes (`{path}/status`, `/history`, `/events`) with
 * `thread: true`. The main thread renders them (it has the state and the journal); the worker holds
 * the client's socket, writes the answer with the headers it is sent, and for `events` writes the
 * chunks the main thread sends until it ends the stream. While a stream is open the worker adds its
 * own reading of the main loop every `MAIN_THREAD_EVENT_MS` (an event without an id, so that
 * `Last-Event-ID` still names the journal): it keeps coming while the main loop is stalled.
 */

/** How often each open stream gets a `mainthread` event (the timer exists only while one is open). */
const MAIN_THREAD_EVENT_MS = 1_000;
/** Bytes a stream may hold unsent before its client counts as gone, as on the other ports. */
const MAX_BUFFERED_BYTES = 1024 * 1024;
const NAMES = new Set(['status', 'history', 'events']);

/** A status request waiting for the main thread's first message. */
interface Pending {
  readonly response: ServerResponse;
  readonly head: boolean;
  readonly timer: NodeJS.Timeout;
}

/** The status routes as the worker serves them: forwarded, answered, streamed. */
export class WorkerStatus {
  private readonly pending = new Map<number, Pending>();
  private readonly streams = new Map<number, ServerResponse>();
  private timer: NodeJS.Timeout | null = null;
  private nextId = 0;

  constructor(
    private readonly prefix: string,
    private readonly timeoutMs: number,
    private readonly post: (message: WorkerMessage) => void,
    private readonly reading: () => MainThreadReading,
  ) {}

  /** Whether `url` (path and query) is a status route. */
  owns(url: string): boolean {
    if (!url.startsWith(this.prefix)) return false;
    const queryAt = url.indexOf('?');
    return NAMES.has(url.slice(this.prefix.length, queryAt === -1 ? undefined : queryAt));
  }

  /** Hands the request to the main thread, with the main loop as the worker sees it now. */
  forward(request: IncomingMessage, response: ServerResponse): void {
    const id = this.nextId++;
    const head = request.method === 'HEAD';
    const timer = setTimeout(() => {
      this.pending.delete(id);
      const body = JSON.stringify({ statusCode: 503, message: FORWARD_TIMED_OUT });
      writeProbeResponse(response, { statusCode: 503, contentType: PROBE_HEADERS['Content-Type'], body }, { head });
    }, this.timeoutMs);
    this.pending.set(id, { response, head, timer });
    response.once('close', () => this.gone(id));
    const header = request.headers['last-event-id'];
    const lastEventId = typeof header === 'string' ? header : undefined;
    const { method = '', url = '/' } = request;
    this.post({ type: 'status', id, method, url, lastEventId, mainThread: this.reading() });
  }

  /** Takes the main thread's `reply`, `stream`, `chunk` and `end`; `false` for any other message. */
  onMessage(message: MainMessage): boolean {
    if (message.type === 'reply') {
      const waiting = this.taken(message.id);
      if (!waiting) return true;
      try {
        waiting.response.writeHead(message.statusCode, message.headers);
        waiting.response.end(waiting.head ? undefined : message.body);
      } catch {
        waiting.response.destroy();
      }
    } else if (message.type === 'stream') {
      const waiting = this.taken(message.id);
      // The client left, or its time ran out, before the stream could start: the main thread forgets it.
      if (!waiting) return (this.post({ type: 'unsubscribe', id: message.id }), true);
      waiting.response.writeHead(200, message.headers);
      this.streams.set(message.id, waiting.response);
      this.write(waiting.response, this.mainThreadEvent());
      this.timer ??= setInterval(() => this.tick(), MAIN_THREAD_EVENT_MS).unref();
    } else if (message.type === 'chunk') {
      const response = this.streams.get(message.id);
      if (response) this.write(response, message.text);
    } else if (message.type === 'end') {
      const response = this.streams.get(message.id);
      this.forget(message.id);
      if (message.destroy) response?.destroy();
      else response?.end();
    } else return false;
    return true;
  }

  /** At shutdown: a request still waiting is told the app is shutting down; every stream is ended. */
  close(): void {
    for (const [id, { response, head, timer }] of this.pending) {
      clearTimeout(timer);
      this.pending.delete(id);
      const body = JSON.stringify({ statusCode: 503, message: SHUTTING_DOWN });
      writeProbeResponse(
        response,
        { statusCode: 503, contentType: PROBE_HEADERS['Content-Type'], body },
        { head, closing: true },
      );
    }
    for (const [id, response] of this.streams) {
      this.forget(id);
      response.end();
    }
  }

  private taken(id: number): Pending | undefined {
    const waiting = this.pending.get(id);
    if (!waiting) return undefined;
    this.pending.delete(id);
    clearTimeout(waiting.timer);
    return waiting;
  }

  /** The client's socket closed: a waiting request is dropped, a stream's end is told to the main thread. */
  private gone(id: number): void {
    const waiting = this.pending.get(id);
    if (waiting) {
      clearTimeout(waiting.timer);
      this.pending.delete(id);
    }
    if (this.streams.has(id)) {
      this.forget(id);
      this.post({ type: 'unsubscribe', id });
    }
  }

  private forget(id: number): void {
    this.streams.delete(id);
    if (this.streams.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  private tick(): void {
    const text = this.mainThreadEvent();
    for (const response of this.streams.values()) this.write(response, text);
  }

  /** Writes whole events; a client that does not read is dropped (its `close` tells the main thread). */
  private write(response: ServerResponse, text: string): void {
    if (response.writableLength > MAX_BUFFERED_BYTES) return void response.destroy();
    try {
      response.write(text);
    } catch {
      response.destroy();
    }
  }

  private mainThreadEvent(): string {
    return `event: mainthread\ndata: ${JSON.stringify(this.reading())}\n\n`;
  }
}
