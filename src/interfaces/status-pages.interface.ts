/**
 * What serves the status page, history and events under the prefix (the module binds the status
 * observer to `HEARTBEAT_STATUS_PAGES`), so that a transport hands it a request without importing it.
 * Each call answers the request and returns `true`, or returns `false` for a name that is not its own.
 */
export interface StatusPages {
  /** The management port: `request` is Node's, its URL the whole path; `prefix` has its slashes. */
  servePort(prefix: string, request: unknown, response: unknown): boolean;
  /** The app's port: `name` is the segment after the prefix; request and response as the adapter gives them. */
  serveApp(name: string, request: unknown, response: unknown): boolean;
}
