/**
 * What serves the status page, history and events (bound to `HEARTBEAT_STATUS_PAGES`), so that a
 * transport hands it a request without importing it. Each call answers and returns `true`, or returns
 * `false` for a name not its own.
 */
export interface StatusPages {
  /** The management port: `request` is Node's, its URL the whole path; `prefix` has its slashes. */
  servePort(prefix: string, request: unknown, response: unknown): boolean;
  /** The app's port: `name` is the segment after the prefix; request and response as the adapter gives them. */
  serveApp(name: string, request: unknown, response: unknown): boolean;
  /** The management port's worker thread (`thread: true`): the worker holds the client's socket, `reply` reaches it. */
  serveThread(prefix: string, request: StatusRequest, reply: StatusReply): boolean;
}

/** What the status routes read of a request. */
export interface StatusRequest {
  readonly method: string;
  /** Path and query. */
  readonly url: string;
  readonly lastEventId?: string;
  /** In thread mode: the main loop as the worker saw it when the request came. */
  readonly mainThread?: MainThreadReading;
}

/** The main loop's lag and stall as the worker thread sees them (`thread: true`), with the limits probes apply. */
export interface MainThreadReading {
  readonly lagMs: number;
  readonly stalledMs: number;
  /** Readiness fails over it. */
  readonly maxLagMs: number;
  /** Liveness fails over it. */
  readonly maxStallMs: number;
}

/** Where the status routes write an answer: whole, or as an event stream. */
export interface StatusReply {
  /** Answers `body` (left out for HEAD) with `statusCode` and `headers`. */
  whole(statusCode: number, headers: Readonly<Record<string, string>>, body: string): void;
  /** Starts a `200` event stream with `headers`. */
  stream(headers: Readonly<Record<string, string>>): StatusStream;
}

/** An open event stream. */
export interface StatusStream {
  /** Sends whole events; throws when the client is gone or does not read. */
  write(text: string): void;
  end(): void;
  /** Drops the client (it does not read). */
  destroy(): void;
  /** Calls `listener` once when the stream is gone, whichever side ended it. */
  onClose(listener: () => void): void;
}
