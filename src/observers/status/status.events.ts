import type { StatusReply, StatusStream } from '../../interfaces/status-pages.interface.js';
import type { StatusEntry } from './status.source.js';

/** Headers of an event stream: never cached, never buffered by a proxy, closed with its last event. */
const STREAM_HEADERS: Readonly<Record<string, string>> = {
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
  private readonly streams = new Set<StatusStream>();
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

  /** Opens a stream through `reply` and sends it `missed` (what it resumes); `false` when full or closed. */
  open(reply: StatusReply, missed: readonly string[]): boolean {
    if (this.ended || this.streams.size >= this.max) return false;
    const stream = reply.stream(STREAM_HEADERS);
    this.streams.add(stream);
    stream.onClose(() => this.forget(stream));
    this.send(stream, `retry: 2000\n\n${missed.join('')}`);
    this.timer ??= setInterval(() => this.broadcast(':\n\n'), this.keepAliveMs).unref();
    return true;
  }

  /** Sends `text` (whole events) to every open stream. */
  broadcast(text: string): void {
    for (const stream of this.streams) this.send(stream, text);
  }

  /** Ends every stream and refuses new ones. */
  closeAll(): void {
    this.ended = true;
    for (const stream of [...this.streams]) {
      stream.end();
      this.forget(stream);
    }
  }

  private send(stream: StatusStream, text: string): void {
    try {
      stream.write(text);
    } catch {
      stream.destroy();
      this.forget(stream);
    }
  }

  private forget(stream: StatusStream): void {
    this.streams.delete(stream);
    if (this.streams.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }
}
