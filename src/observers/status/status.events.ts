import type { ServerResponse } from 'node:http';
import type { StatusEntry } from './status.source.js';

/** Bytes a stream may hold unsent before its client counts as gone (a reader that never reads). */
const MAX_BUFFERED_BYTES = 1024 * 1024;

/** Headers of an event stream: never cached, never buffered by a proxy, closed with its last event. */
const STREAM_HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-store',
  'X-Accel-Buffering': 'no',
  'X-Content-Type-Options': 'nosniff',
  Connection: 'close',
};

/** One Server-Sent Event; the JSON of `data` escapes every line break, so no field can forge another event. */
export function eventText(entry: StatusEntry, extra?: object): string {
  return `id: ${entry.id}\nevent: ${entry.type}\ndata: ${JSON.stringify(extra ? { ...entry, ...extra } : entry)}\n\n`;
}

/**
 * The open event streams: at most `max` at once, a comment line on each every `keepAliveMs` while
 * one is open (an unref'd timer that exists only then, so an idle module costs nothing), and all
 * of them ended by `closeAll()` at shutdown.
 */
export class StatusEvents {
  private readonly streams = new Set<ServerResponse>();
  private timer: NodeJS.Timeout | null = null;
  private ended = false;

  constructor(
    private readonly max: number,
    private readonly keepAliveMs: number,
  ) {}

  /** Whether `closeAll()` has run: new streams are refused from then on. */
  get closed(): boolean {
    return this.ended;
  }

  /** How many streams are open. */
  get size(): number {
    return this.streams.size;
  }

  /** Opens a stream on `response` and sends it `missed` (what it resumes); `false` when full or closed. */
  open(response: ServerResponse, missed: readonly string[]): boolean {
    if (this.ended || this.streams.size >= this.max) return false;
    response.writeHead(200, STREAM_HEADERS);
    this.streams.add(response);
    response.once('close', () => this.forget(response));
    this.send(response, `retry: 2000\n\n${missed.join('')}`);
    this.timer ??= setInterval(() => this.broadcast(':\n\n'), this.keepAliveMs).unref();
    return true;
  }

  /** Sends `text` (whole events) to every open stream. */
  broadcast(text: string): void {
    for (const response of this.streams) this.send(response, text);
  }

  /** Ends every stream and refuses new ones. */
  closeAll(): void {
    this.ended = true;
    for (const response of [...this.streams]) {
      response.end();
      this.forget(response);
    }
  }

  private send(response: ServerResponse, text: string): void {
    try {
      if (response.writableLength > MAX_BUFFERED_BYTES) throw new Error('the client does not read');
      response.write(text);
    } catch {
      response.destroy();
      this.forget(response);
    }
  }

  private forget(response: ServerResponse): void {
    this.streams.delete(response);
    if (this.streams.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }
}
