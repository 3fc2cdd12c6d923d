import { jest } from '@jest/globals';
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { eventText, StatusEvents } from '../src/observers/status/status.events.js';
import { nodeReply } from '../src/observers/status/status.http.js';

/** What StatusEvents uses of a ServerResponse, recording what it is sent. */
class FakeResponse extends EventEmitter {
  written = '';
  writableLength = 0;
  ended = false;
  destroyed = false;
  writeHead() {
    return this;
  }
  write(text: string) {
    this.written += text;
    return true;
  }
  end() {
    this.ended = true;
    this.emit('close');
  }
  destroy() {
    this.destroyed = true;
    this.emit('close');
  }
}

const open = (events: StatusEvents, missed: string[] = []) => {
  const response = new FakeResponse();
  const reply = nodeReply({
    request: { method: 'GET' } as IncomingMessage,
    response: response as unknown as ServerResponse,
  });
  return { response, opened: events.open(reply, missed) };
};

describe('status event streams', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('keeps a keep-alive timer only while a stream is open (idle costs nothing)', () => {
    const events = new StatusEvents(4, 1000);
    expect(jest.getTimerCount()).toBe(0);
    const first = open(events);
    const second = open(events);
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(3000);
    expect(first.response.written.match(/^:$/gm)).toHaveLength(3);
    first.response.emit('close');
    expect(jest.getTimerCount()).toBe(1);
    second.response.emit('close');
    expect(jest.getTimerCount()).toBe(0);
    expect(events.size).toBe(0);
  });

  it('caps the streams, drops a client that does not read, and ends all at close', () => {
    const events = new StatusEvents(2, 1000);
    const slow = open(events, [eventText({ id: 1, type: 'rotation', time: 0, inRotation: false })]);
    expect(slow.response.written).toContain('id: 1\nevent: rotation\ndata: {"id":1');
    open(events);
    expect(open(events).opened).toBe(false);
    slow.response.writableLength = 2 * 1024 * 1024;
    events.broadcast(':\n\n');
    expect(slow.response.destroyed).toBe(true);
    expect(events.size).toBe(1);
    const last = open(events);
    events.closeAll();
    expect(last.response.ended).toBe(true);
    expect(events.size).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
    expect(open(events).opened).toBe(false);
  });

  it('writes a name or message with line breaks as one data line', () => {
    const text = eventText({ id: 7, type: 'check', time: 0, check: 'a\nevent: shutdown', message: 'x\r\n\ndata: y' });
    expect(text.split('\n').filter((line) => line !== '')).toHaveLength(3);
  });
});
