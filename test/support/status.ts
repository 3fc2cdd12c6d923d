import { type INestApplication, Injectable, type ModuleMetadata } from '@nestjs/common';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { HeartbeatModule, HeartbeatService, ReadinessProbe, type HeartbeatModuleOptions } from '../../src/index.js';
import { createThreadApp, portOf, until } from './thread.js';
import { send, serve, type Served, TRANSPORTS, type TransportName } from './transports.js';

/** Where the status routes are tested: the three transports, and the management port's worker thread (`thread: true`). */
export type StatusTransport = TransportName | 'thread';
export const STATUS_TRANSPORTS: readonly StatusTransport[] = [...TRANSPORTS, 'thread'];

/** A check name and message that try to inject markup and forge SSE events; every view must show them as text. */
export const HOSTILE_NAME = '<script>window.__pwned=1</script>\nevent: shutdown';
export const HOSTILE_MESSAGE = '</td><img src=x onerror="window.__pwned=2">\r\ndata: forged\n\n';

/** The checks the status tests flip: `db` (critical) and a hostile-named non-critical one. */
@Injectable()
export class Flags {
  db = true;
  cache = true;
  dbMessage = 'db is down';

  @ReadinessProbe('db')
  dbCheck() {
    return this.db ? { status: true } : { status: false, message: this.dbMessage };
  }

  @ReadinessProbe({ name: HOSTILE_NAME, critical: false })
  cacheCheck() {
    return this.cache ? { status: true } : { status: false, message: HOSTILE_MESSAGE };
  }
}

/**
 * The app with `Flags`, the status page on `transport`, public on the app's port. With `thread`, the
 * management port runs in the worker thread (the build's: `npm run build` first), the checks in the
 * background every 100 ms (thread mode runs them there), the stall and lag limits as `options` say.
 */
export async function serveStatus(
  transport: StatusTransport,
  options: HeartbeatModuleOptions = {},
  metadata: ModuleMetadata = {},
): Promise<Served> {
  if (transport === 'thread') {
    const heartbeat = HeartbeatModule.forRoot({
      logger: false,
      environ: false,
      intervalMs: 100,
      ...options,
      port: 0,
      serveOn: 'port',
      thread: true,
    } as HeartbeatModuleOptions);
    const app = await createThreadApp({
      ...metadata,
      imports: [heartbeat, ...(metadata.imports ?? [])],
      providers: [Flags, ...(metadata.providers ?? [])],
    });
    return { app, url: `http://127.0.0.1:${portOf(app)}` };
  }
  return serve(
    transport,
    { environ: false, ...(transport === 'port' ? {} : { statusPage: { public: true } }), ...options },
    { providers: [Flags, ...(metadata.providers ?? [])], ...metadata },
  );
}

/**
 * Sets the checks of `Flags` and waits until the state has their results: a probe request runs them
 * (the kubelet's, on the main thread's ports); in thread mode the worker answers the kubelet from
 * what is published, and the background runs pick them up, which this waits for.
 */
export async function flipFlags(
  app: INestApplication,
  url: string,
  transport: StatusTransport,
  db: boolean,
  cache = true,
): Promise<void> {
  Object.assign(app.get(Flags), { db, cache });
  if (transport !== 'thread') return void (await send(url, 'GET', '/.well-known/heartbeat/readiness'));
  const service = app.get(HeartbeatService);
  const statusOf = (name: string) =>
    service.state().probes.readiness.checks.find((check) => check.name.startsWith(name))?.status;
  await until(
    async () => [statusOf('db'), statusOf('<script>')],
    ([dbStatus, cacheStatus]) => dbStatus === db && cacheStatus === cache,
  );
}

/** One parsed Server-Sent Event. */
export interface SseEvent {
  readonly id?: string;
  readonly event?: string;
  readonly data: string;
}

/** An open event stream: its response, the events and comments so far, and a wait for more. */
export interface SseStream {
  readonly response: IncomingMessage;
  readonly events: SseEvent[];
  comments: number;
  /** Resolves once `predicate` holds for the events read (checked at each chunk). */
  until(predicate: (events: readonly SseEvent[]) => boolean): Promise<void>;
  /** Resolves when the server ends the stream. */
  readonly ended: Promise<void>;
  close(): void;
}

/**
 * Opens `path` as an event stream with `headers`; rejects on a non-200 answer with its status.
 * Events of the types in `ignore` are left out (the worker thread's `mainthread` readings).
 */
export function openSse(
  url: string,
  path: string,
  headers: Record<string, string> = {},
  ignore: readonly string[] = [],
): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${path}`, { headers, agent: false }, (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        return reject(Object.assign(new Error(`status ${response.statusCode}`), { status: response.statusCode }));
      }
      const events: SseEvent[] = [];
      const waiters: { predicate: (events: readonly SseEvent[]) => boolean; resolve: () => void }[] = [];
      let buffer = '';
      const check = () => {
        for (const waiter of [...waiters]) {
          if (!waiter.predicate(events)) continue;
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      };
      const stream: SseStream = {
        response,
        events,
        comments: 0,
        until: (predicate) =>
          new Promise<void>((done) => {
            waiters.push({ predicate, resolve: done });
            check();
          }),
        ended: new Promise<void>((done) => response.on('end', done).on('close', done)),
        close: () => req.destroy(),
      };
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        let at: number;
        while ((at = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, at);
          buffer = buffer.slice(at + 2);
          const fields: Record<string, string> = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) stream.comments++;
            const colon = line.indexOf(':');
            if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 1).trimStart();
          }
          if (fields.data !== undefined && !ignore.includes(fields.event ?? 'message'))
            events.push({ id: fields.id, event: fields.event, data: fields.data });
        }
        check();
      });
      resolve(stream);
    });
    req.on('error', reject);
    req.end();
  });
}
