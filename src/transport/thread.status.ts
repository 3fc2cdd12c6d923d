import type { StatusPages, StatusReply, StatusStream } from '../interfaces/status-pages.interface.js';
import { REFUSED } from './probe-answers.js';
import type { MainMessage, WorkerMessage } from './thread.protocol.js';

/**
 * The main thread's side of the status routes with `thread: true`: hands each request the worker
 * forwards to the status observer, with a reply that carries its answer back by message; an event
 * stream's events go as `chunk` messages until the observer ends it or the worker says its client
 * left (`unsubscribe`). The observer counts these streams against its cap, sends them its
 * keep-alive and ends them at shutdown, as it does its own.
 */
export class ThreadStatusRelay {
  /** Open streams, and what to call when the worker says the client left. */
  private readonly open = new Map<number, (() => void) | null>();

  constructor(
    private readonly pages: StatusPages | undefined,
    private readonly prefix: string,
    private readonly send: (message: MainMessage) => void,
  ) {}

  /** Answers the worker's `status` request, or its `unsubscribe`. */
  onMessage(message: WorkerMessage): void {
    if (message.type === 'unsubscribe') {
      const listener = this.open.get(message.id);
      this.open.delete(message.id);
      listener?.();
      return;
    }
    if (message.type !== 'status') return;
    const { id, method, url, lastEventId, mainThread } = message;
    const reply: StatusReply = {
      whole: (statusCode, headers, body) => this.send({ type: 'reply', id, statusCode, headers: { ...headers }, body }),
      stream: (headers) => {
        this.open.set(id, null);
        this.send({ type: 'stream', id, headers: { ...headers } });
        return this.streamOf(id);
      },
    };
    if (this.pages?.serveThread(this.prefix, { method, url, lastEventId, mainThread }, reply)) return;
    // Not the observer's (it is off): what the management port answers any unknown path.
    const { statusCode, contentType, body } = REFUSED[404];
    const headers = { 'Content-Type': contentType, 'Content-Length': String(Buffer.byteLength(body)) };
    reply.whole(statusCode, { ...headers, 'Cache-Control': 'no-store' }, body);
  }

  private streamOf(id: number): StatusStream {
    const finish = (destroy: boolean) => {
      const listener = this.open.get(id);
      if (!this.open.delete(id)) return;
      this.send({ type: 'end', id, destroy });
      listener?.();
    };
    return {
      write: (text) => {
        if (!this.open.has(id)) throw new Error('the client is gone');
        this.send({ type: 'chunk', id, text });
      },
      end: () => finish(false),
      destroy: () => finish(true),
      onClose: (listener) => {
        if (this.open.has(id)) this.open.set(id, listener);
      },
    };
  }
}
