import { jest } from '@jest/globals';
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WorkerMessage } from '../src/transport/thread.protocol.js';
import { WorkerStatus } from '../src/transport/worker.status.js';

/** What WorkerStatus uses of a ServerResponse, recording what it is sent. */
class FakeResponse extends EventEmitter {
  statusCode = 0;
  headers: Record<string, unknown> = {};
  written = '';
  writableLength = 0;
  ended = false;
  destroyed = false;
  writeHead(statusCode: number, headers: Record<string, unknown> = {}) {
    this.statusCode = statusCode;
    this.headers = { ...this.headers, ...headers };
    return this;
  }
  setHeader(name: string, value: unknown) {
    this.headers[name] = value;
  }
  write(text: string) {
    this.written += text;
    return true;
  }
  end(text?: string) {
    if (text) this.written += text;
    this.ended = true;
    this.emit('close');
  }
  destroy() {
    this.destroyed = true;
    this.emit('close');
  }
}

const PREFIX = '/.well-known/heartbeat/';
const READING = { lagMs: 3, stalledMs: 12, maxLagMs: 250, maxStallMs: 10_000 };

describe("the worker thread's side of the status routes", () => {
  let posted: WorkerMessage[];
  let status: WorkerStatus;
  beforeEach(() => {
    jest.useFakeTimers();
    posted = [];
    status = new WorkerStatus(
      PREFIX,
      10_000,
      (message) => posted.push(message),
      () => READING,
    );
  });
  afterEach(() => jest.useRealTimers());

  const request = (url: string, method = 'GET', headers: Record<string, string> = {}) => {
    const response = new FakeResponse();
    status.forward({ url, method, headers } as unknown as IncomingMessage, response as unknown as ServerResponse);
    return response;
  };

  it('owns only the three routes under its prefix, query or not', () => {
    expect(['status', 'history?check=db', 'events'].every((name) => status.owns(PREFIX + name))).toBe(true);
    expect(
      [`${PREFIX}readiness`, `${PREFIX}statusx`, '/status', `${PREFIX}status/x`].some((url) => status.owns(url)),
    ).toBe(false);
  });

  it("forwards a request with Last-Event-ID and the worker's reading, and writes the reply's headers and body", () => {
    const response = request(`${PREFIX}history`, 'GET', { 'last-event-id': '7' });
    expect(posted).toEqual([
      { type: 'status', id: 0, method: 'GET', url: `${PREFIX}history`, lastEventId: '7', mainThread: READING },
    ]);
    const headers = { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': "script-src 'nonce-x'" };
    expect(status.onMessage({ type: 'reply', id: 0, statusCode: 200, headers, body: '<p>' })).toBe(true);
    expect(response).toMatchObject({ statusCode: 200, headers, written: '<p>', ended: true });
    expect(jest.getTimerCount()).toBe(0);
    const head = request(`${PREFIX}status`, 'HEAD');
    status.onMessage({ type: 'reply', id: 1, statusCode: 200, headers, body: '<p>' });
    expect(head).toMatchObject({ written: '', ended: true });
    expect(status.onMessage({ type: 'state', shuttingDown: false })).toBe(false);
  });

  it('answers 503 when the main thread does not answer in time, and ignores its late reply', () => {
    const response = request(`${PREFIX}status`);
    jest.advanceTimersByTime(10_000);
    expect(response.statusCode).toBe(503);
    expect(response.written).toContain('did not answer');
    status.onMessage({ type: 'reply', id: 0, statusCode: 200, headers: {}, body: 'late' });
    expect(response.written).not.toContain('late');
  });

  it('streams the chunks, adds its reading every second only while a stream is open, and tells the main thread when the client leaves', () => {
    const response = request(`${PREFIX}events`);
    status.onMessage({ type: 'stream', id: 0, headers: { 'Content-Type': 'text/event-stream' } });
    expect(response.statusCode).toBe(200);
    expect(response.written).toBe(`event: mainthread\ndata: ${JSON.stringify(READING)}\n\n`);
    status.onMessage({ type: 'chunk', id: 0, text: 'id: 1\nevent: check\ndata: {}\n\n' });
    expect(response.written).toContain('id: 1\nevent: check');
    jest.advanceTimersByTime(3_000);
    expect(response.written.match(/event: mainthread/g)).toHaveLength(4);
    response.emit('close');
    expect(posted.at(-1)).toEqual({ type: 'unsubscribe', id: 0 });
    expect(jest.getTimerCount()).toBe(0);
  });

  it('drops a client that does not read once 1 MiB waits for it', () => {
    const response = request(`${PREFIX}events`);
    status.onMessage({ type: 'stream', id: 0, headers: {} });
    response.writableLength = 2 * 1024 * 1024;
    status.onMessage({ type: 'chunk', id: 0, text: 'id: 1\n\n' });
    expect(response.destroyed).toBe(true);
    expect(response.written).not.toContain('id: 1');
    expect(posted.at(-1)).toEqual({ type: 'unsubscribe', id: 0 });
    expect(jest.getTimerCount()).toBe(0);
  });

  it('unsubscribes a stream whose client left before it started', () => {
    const response = request(`${PREFIX}events`);
    response.emit('close');
    expect(jest.getTimerCount()).toBe(0);
    status.onMessage({ type: 'stream', id: 0, headers: {} });
    expect(posted.at(-1)).toEqual({ type: 'unsubscribe', id: 0 });
    expect(response.statusCode).toBe(0);
  });

  it('ends a stream when the main thread does, without telling it back; at close, ends streams and answers what waits', () => {
    const first = request(`${PREFIX}events`);
    status.onMessage({ type: 'stream', id: 0, headers: {} });
    status.onMessage({ type: 'end', id: 0, destroy: false });
    expect(first.ended).toBe(true);
    expect(posted.filter((message) => message.type === 'unsubscribe')).toEqual([]);
    const open = request(`${PREFIX}events`);
    status.onMessage({ type: 'stream', id: 1, headers: {} });
    const waiting = request(`${PREFIX}status`);
    status.close();
    expect(open.ended).toBe(true);
    expect(waiting.statusCode).toBe(503);
    expect(waiting.written).toContain('shutting down');
    expect(jest.getTimerCount()).toBe(0);
  });
});
