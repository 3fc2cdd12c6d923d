import { type BeforeApplicationShutdown, Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { Subscription } from 'rxjs';
import { HEARTBEAT_RESOLVED_OPTIONS } from '../../heartbeat.constants.js';
import { STATUS_METHOD_NOT_ALLOWED, STATUS_SHUTTING_DOWN, STATUS_STREAMS_FULL } from '../../heartbeat.messages.js';
import type { ResolvedHeartbeatOptions } from '../../heartbeat.options.js';
import { HeartbeatService } from '../../heartbeat.service.js';
import type { EnvironReport } from '../../interfaces/probe.interface.js';
import type { StatusPages } from '../../interfaces/status-pages.interface.js';
import { StatusEvents, eventText } from './status.events.js';
import { cappedJsonArray, HISTORY_BYTE_CAP, pagePolicy, rawOf, writeWhole } from './status.http.js';
import { StatusJournal } from './status.journal.js';
import { pageHtml } from './status.page.js';
import { StatusRecorder } from './status.recorder.js';
import type { StatusSource } from './status.source.js';

type Raw = NonNullable<ReturnType<typeof rawOf>>;
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
    const url = (request as { url?: unknown } | null)?.url;
    if (typeof url !== 'string' || !url.startsWith(prefix)) return false;
    const queryAt = url.indexOf('?');
    const name = url.slice(prefix.length, queryAt === -1 ? undefined : queryAt);
    if (!this.isOwnName(name)) return false;
    const raw = rawOf(request, response);
    return raw !== null && this.serve('port', name, raw);
  }

  serveApp(name: string, request: unknown, response: unknown): boolean {
    if (!this.isOwnName(name) || !this.servedOn('app')) return false;
    const raw = rawOf(request, response);
    return raw !== null && this.serve('app', name, raw);
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

  private serve(where: Where, name: string, raw: Raw): boolean {
    if (!this.isOwnName(name) || !this.servedOn(where)) return false;
    const method = raw.request.method;
    if (method !== 'GET' && method !== 'HEAD') {
      writeWhole(raw, 405, JSON_TYPE, STATUS_METHOD_NOT_ALLOWED, { Allow: 'GET, HEAD' });
      return true;
    }
    const query = new URLSearchParams((raw.request.url ?? '').split('?')[1] ?? '');
    if (name === 'history') this.history(raw, query.get('check'));
    else if (name === 'events') this.stream(raw, query.get('since'));
    else void this.page(where, raw);
    return true;
  }

  /** `GET {path}/history[?check=name]`: the journal, newest first, within `HISTORY_BYTE_CAP` bytes. */
  private history(raw: Raw, check: string | null): void {
    const entries = this.journal!.newestFirst(check ?? undefined);
    const { json, truncated } = cappedJsonArray(entries, HISTORY_BYTE_CAP - 200);
    const { historySize, historyLimit } = this.options.statusPage!;
    const body = `{"historySize":${historySize},"historyLimit":${historyLimit},"truncated":${truncated},"transitions":${json}}`;
    writeWhole(raw, 200, JSON_TYPE, body);
  }

  /** `GET {path}/events`: the stream, first replaying what `Last-Event-ID` (or `?since=`) missed. */
  private stream(raw: Raw, since: string | null): void {
    const header = raw.request.headers['last-event-id'];
    const after = Number(typeof header === 'string' && header !== '' ? header : (since ?? NaN));
    const missed = Number.isSafeInteger(after) && after >= 0 ? this.journal!.since(after) : [];
    if (raw.request.method === 'HEAD') {
      writeWhole(raw, 200, 'text/event-stream; charset=utf-8', '');
      return;
    }
    const texts = missed.map((entry) => eventText(entry, this.recorder?.rowOfEntry(entry)));
    const events = this.events!;
    if (events.open(raw.response, texts)) return;
    const body = events.closed ? STATUS_SHUTTING_DOWN : STATUS_STREAMS_FULL(this.options.statusPage!.maxSubscribers);
    writeWhole(raw, 503, JSON_TYPE, body, { 'Retry-After': '5' });
  }

  /** `GET {path}/status`: the page, rendered from the state with its own nonce. */
  private async page(where: Where, raw: Raw): Promise<void> {
    const environ = this.environServed(where) ? await this.environ() : undefined;
    const nonce = randomBytes(16).toString('base64');
    const model = this.recorder!.pageModel(environ);
    writeWhole(raw, 200, 'text/html; charset=utf-8', pageHtml(model, nonce), {
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
