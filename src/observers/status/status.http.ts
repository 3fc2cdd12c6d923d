import { IncomingMessage, ServerResponse } from 'node:http';
import type { StatusReply } from '../../interfaces/status-pages.interface.js';

/** The largest `/history` body, in bytes: older transitions beyond it are left out (`"truncated": true`). */
export const HISTORY_BYTE_CAP = 256 * 1024;

/** Node's request and response under what an adapter hands a handler (Fastify's `.raw`), or `null`. */
export function rawOf(
  request: unknown,
  response: unknown,
): { request: IncomingMessage; response: ServerResponse } | null {
  const req = request instanceof IncomingMessage ? request : (request as { raw?: unknown } | null)?.raw;
  const res = response instanceof ServerResponse ? response : (response as { raw?: unknown } | null)?.raw;
  if (!(req instanceof IncomingMessage) || !(res instanceof ServerResponse)) return null;
  // Fastify must be told the handler writes the response itself.
  const hijack = (response as { hijack?: unknown }).hijack;
  if (res !== response && typeof hijack === 'function') hijack.call(response);
  return { request: req, response: res };
}

/** The headers of a whole answer: never cached, never sniffed, its length. */
export function wholeHeaders(
  contentType: string,
  body: string,
  headers: Readonly<Record<string, string>> = {},
): Record<string, string> {
  return {
    'Content-Type': contentType,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Content-Length': String(Buffer.byteLength(body)),
    ...headers,
  };
}

/** Bytes a stream may hold unsent before its client counts as gone (a reader that never reads). */
export const MAX_BUFFERED_BYTES = 1024 * 1024;

/** The reply of a request whose socket this thread holds (the app's port, the management port's server). */
export function nodeReply({ request, response }: { request: IncomingMessage; response: ServerResponse }): StatusReply {
  return {
    whole(statusCode, headers, body) {
      try {
        response.writeHead(statusCode, headers);
        response.end(request.method === 'HEAD' ? undefined : body);
      } catch {
        response.destroy();
      }
    },
    stream(headers) {
      response.writeHead(200, headers);
      return {
        write(text) {
          if (response.writableLength > MAX_BUFFERED_BYTES) throw new Error('the client does not read');
          response.write(text);
        },
        end: () => response.end(),
        destroy: () => response.destroy(),
        onClose: (listener) => void response.once('close', listener),
      };
    },
  };
}

/** A JSON array of `items` (newest first) within `cap` bytes, and whether some were left out. */
export function cappedJsonArray(items: readonly unknown[], cap: number): { json: string; truncated: boolean } {
  const parts: string[] = [];
  let bytes = 2;
  for (const item of items) {
    const text = JSON.stringify(item);
    bytes += Buffer.byteLength(text) + 1;
    if (bytes > cap) return { json: `[${parts.join(',')}]`, truncated: true };
    parts.push(text);
  }
  return { json: `[${parts.join(',')}]`, truncated: false };
}

/** The content security policy of the page: its own inline style and script under `nonce`, its own events, nothing else. */
export function pagePolicy(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
