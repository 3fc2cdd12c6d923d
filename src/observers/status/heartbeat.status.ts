import { type BeforeApplicationShutdown, Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Subscription } from 'rxjs';
import { HEARTBEAT_RESOLVED_OPTIONS } from '../../heartbeat.constants.js';
import { STATUS_METHOD_NOT_ALLOWED, STATUS_SHUTTING_DOWN, STATUS_STREAMS_FULL } from '../../heartbeat.messages.js';
import type { ResolvedHeartbeatOptions } from '../../heartbeat.options.js';
import { HeartbeatService } from '../../heartbeat.service.js';
import type { EnvironReport } from '../../interfaces/probe.interface.js';
import type {
  MainThreadReading,
  StatusPages,
  StatusReply,
  StatusRequest,
} from '../../interfaces/status-pages.interface.js';
import { StatusEvents, eventText } from './status.events.js';
import { cappedJsonArray, HISTORY_BYTE_CAP, nodeReply, pagePolicy, rawOf, wholeHeaders } from './status.http.js';
import { StatusJournal } from './status.journal.js';
import { pageHtml } from './status.page.js';
import { StatusRecorder } from './status.recorder.js';
import type { StatusSource } from './status.source.js';

type Where = 'port' | 'app';
const JSON_TYPE = 'application/json; charset=utf-8';
/** How long the page waits for the environ summary before it renders without it. */
const ENVIRON_WAIT_MS = 1500;

/**
 * The status page, history and events (`{path}/status`, `/history`, `/events`): an observer of the
 * health state that keeps a bounded journal of transitions and streams them. The transports hand it
 * their requests (`StatusPages`); it serves them on the management port, and on the app's port
 * only when `routeDecorators` guard it or `statusPage.public` says so.
 */
@Injectable()
export class HeartbeatStatus implements StatusPages, OnModuleInit, BeforeApplicationShutdown {
  private readonly source: StatusSource;
  private readonly journal: StatusJournal | null = null;
  private readonly events: StatusEvents | null = null;
  private recorder: StatusRecorder | null = null;
  private subscriptions: Subscription[] = [];

  constructor(
    service: HeartbeatService,
    @Inject(HEARTBEAT_RESOLVED_OPTIONS) private readonly options: ResolvedHeartbeatOptions,
  ) {
    this.source = service;
    const status = options.statusPage;
    if (status === null) return;
    this.journal = new StatusJournal(status.historySize, status.historyLimit);
    this.events = new StatusEvents(status.maxSubscribers, status.keepAliveMs);
  }

  onModuleInit(): void {
    const { journal, events } = this;
    if (!journal || !events) return;
    const recorder = new StatusRecorder(this.source, journal, this.options.details !== 'never', (entry, row) => {
      events.broadcast(eventText(entry, row && { row }));
      // The instance is going away: every stream has been told, and is ended so that none holds a server open.
      if (entry.type === 'shutdown') events.closeAll();
    });
    this.recorder = recorder;
    this.subscriptions = [
      this.source.changes$.subscribe((change) => recorder.onChange(change)),
      this.source.rotation$.subscribe((inRotation) => recorder.onRotation(inRotation)),
    ];
  }

  /** Ends every event stream (with a `shutdown` event) before the servers close, so none holds them open. */
  beforeApplicationShutdown(): void {
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    this.subscriptions = [];
    this.recorder?.shutdown();
    this.events?.closeAll();
  }

  servePort(prefix: string, request: unknown, response: unknown): boolean {
    // Every request of the management port comes here first: the kubelet's leaves after two string tests.
    const name = this.nameOf(prefix, (request as { url?: unknown } | null)?.url);
    if (name === null) return false;
    const raw = rawOf(request, response);
    return raw !== null && this.serve('port', name, requestOf(raw.request), nodeReply(raw));
  }

  serveApp(name: string, request: unknown, response: unknown): boolean {
    if (!this.isOwnName(name) || !this.servedOn('app')) return false;
    const raw = rawOf(request, response);
    return raw !== null && this.serve('app', name, requestOf(raw.request), nodeReply(raw));
  }

  serveThread(prefix: string, request: StatusRequest, reply: StatusReply): boolean {
    const name = this.nameOf(prefix, request.url);
    return name !== null && this.serve('port', name, request, reply);
  }

  /** The route's name (`status`, `history`, `events`) of a URL under `prefix`, or `null`. */
  private nameOf(prefix: string, url: unknown): string | null {
    if (typeof url !== 'string' || !url.startsWith(prefix)) return null;
    const queryAt = url.indexOf('?');
    const name = url.slice(prefix.length, queryAt === -1 ? undefined : queryAt);
    return this.isOwnName(name) ? name : null;
  }

  private isOwnName(name: string): boolean {
    return name === 'status' || name === 'history' || name === 'events';
  }

  /** The management port serves them whenever they are on; the app's port only when guarded or public. */
  private servedOn(where: Where): boolean {
    const { statusPage, serveOn, routeDecorated } = this.options;
    if (statusPage === null) return false;
    if (where === 'port') return true;
    return serveOn !== 'port' && (routeDecorated || statusPage.public);
  }

  /** Environ's summary is shown where the environ probe itself is served. */
  private environServed(where: Where): boolean {
    const { environ, serveOn, routeDecorated } = this.options;
    if (!environ.enabled) return false;
    return where === 'port' || (serveOn === 'app' && (environ.public || routeDecorated));
  }

  private serve(where: Where, name: string, request: StatusRequest, reply: StatusReply): boolean {
    if (!this.isOwnName(name) || !this.servedOn(where)) return false;
    const { method } = request;
    if (method !== 'GET' && method !== 'HEAD') {
      whole(reply, 405, JSON_TYPE, STATUS_METHOD_NOT_ALLOWED, { Allow: 'GET, HEAD' });
      return true;
    }
    const query = new URLSearchParams(request.url.split('?')[1] ?? '');
    if (name === 'history') this.history(reply, query.get('check'));
    else if (name === 'events') this.stream(request, reply, query.get('since'));
    else void this.page(where, reply, request.mainThread);
    return true;
  }

  /** `GET {path}/history[?check=name]`: the journal, newest first, within `HISTORY_BYTE_CAP` bytes. */
  private history(reply: StatusReply, check: string | null): void {
    const entries = this.journal!.newestFirst(check ?? undefined);
    const { json, truncated } = cappedJsonArray(entries, HISTORY_BYTE_CAP - 200);
    const { historySize, historyLimit } = this.options.statusPage!;
    const body = `{"historySize":${historySize},"historyLimit":${historyLimit},"truncated":${truncated},"transitions":${json}}`;
    whole(reply, 200, JSON_TYPE, body);
  }

  /** `GET {path}/events`: the stream, first replaying what `Last-Event-ID` (or `?since=`) missed. */
  private stream(request: StatusRequest, reply: StatusReply, since: string | null): void {
    const header = request.lastEventId;
    const after = Number(typeof header === 'string' && header !== '' ? header : (since ?? NaN));
    const missed = Number.isSafeInteger(after) && after >= 0 ? this.journal!.since(after) : [];
    if (request.method === 'HEAD') {
      whole(reply, 200, 'text/event-stream; charset=utf-8', '');
      return;
    }
    const texts = missed.map((entry) => eventText(entry, this.recorder?.rowOfEntry(entry)));
    const events = this.events!;
    if (events.open(reply, texts)) return;
    const body = events.closed ? STATUS_SHUTTING_DOWN : STATUS_STREAMS_FULL(this.options.statusPage!.maxSubscribers);
    whole(reply, 503, JSON_TYPE, body, { 'Retry-After': '5' });
  }

  /** `GET {path}/status`: the page, rendered from the state with its own nonce (and the main loop as the worker saw it). */
  private async page(where: Where, reply: StatusReply, mainThread: MainThreadReading | undefined): Promise<void> {
    const environ = this.environServed(where) ? await this.environ() : undefined;
    const nonce = randomBytes(16).toString('base64');
    const model = { ...this.recorder!.pageModel(environ), mainThread };
    whole(reply, 200, 'text/html; charset=utf-8', pageHtml(model, nonce), {
      'Content-Security-Policy': pagePolicy(nonce),
      'Referrer-Policy': 'no-referrer',
    });
  }

  /** The environ report, `null` when it fails or takes over `ENVIRON_WAIT_MS` (environ itself waits up to 1 s for its inventory). */
  private async environ(): Promise<EnvironReport | null> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<null>((resolve) => (timer = setTimeout(resolve, ENVIRON_WAIT_MS, null)));
    try {
      return await Promise.race([this.source.environ().catch(() => null), late]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** What the status routes read of a Node request. */
function requestOf(request: IncomingMessage): StatusRequest {
  const header = request.headers['last-event-id'];
  return {
    method: request.method ?? '',
    url: request.url ?? '',
    lastEventId: typeof header === 'string' ? header : undefined,
  };
}

/** Answers `body` whole through `reply`. */
function whole(
  reply: StatusReply,
  statusCode: number,
  contentType: string,
  body: string,
  headers?: Record<string, string>,
): void {
  reply.whole(statusCode, wholeHeaders(contentType, body, headers), body);
}
