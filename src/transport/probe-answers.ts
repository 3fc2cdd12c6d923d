import type { LoggerService } from '@nestjs/common';
import type { ProbeResponse } from '../report/formats/response.js';
import type { ProbeKind } from '../interfaces/probe.interface.js';
import { TRANSPORT_FAILED } from '../heartbeat.messages.js';
import { oneLine } from '../util/text.js';
import { maskUrlCredentials } from '../util/redact.js';

/** Headers of every probe response, on the app and on the management port. */
export const PROBE_HEADERS = {
  'Content-Type': 'application/json; charset=utf-8',
  'Cache-Control': 'no-store',
} as const;
/** The methods a probe route answers (the `Allow` header of a 405). */
export const ALLOWED_METHODS = 'GET, HEAD';
/** Body of the module's own 404: a path under the prefix that names no probe, or a probe not served here. */
export const NOT_FOUND_BODY = JSON.stringify({ statusCode: 404, message: 'Not Found' });
/** Body of the app port's 404 for environ kept private there: absent, as on a port that does not serve it. */
/** Body of the 400 answered on the management port to a path that is not valid percent-encoding. */
export const BAD_PATH_BODY = JSON.stringify({
  statusCode: 400,
  message: 'Bad Request: the path is not valid percent-encoding',
});
/** Body of the 405 answered to methods other than GET and HEAD. */
const METHOD_NOT_ALLOWED_BODY = JSON.stringify({
  statusCode: 405,
  message: 'Method Not Allowed: probes answer GET and HEAD',
});

/** The module's own answers to a path that names no probe (404), a bad method (405) or bad percent-encoding (400). */
export const REFUSED: Readonly<Record<400 | 404 | 405, ProbeResponse>> = Object.freeze({
  400: { statusCode: 400, contentType: PROBE_HEADERS['Content-Type'], body: BAD_PATH_BODY },
  404: { statusCode: 404, contentType: PROBE_HEADERS['Content-Type'], body: NOT_FOUND_BODY },
  405: { statusCode: 405, contentType: PROBE_HEADERS['Content-Type'], body: METHOD_NOT_ALLOWED_BODY },
});

/**
 * The answer when producing a probe's response threw: `failureStatusCode` (the kubelet counts the
 * probe as failing, as for any failing check) and a JSON message without the error's text or stack,
 * which go to the log only, with URL passwords masked. A logger that throws is ignored.
 */
export function transportFailure(
  kind: ProbeKind,
  error: unknown,
  statusCode: number,
  logger: LoggerService | null,
): ProbeResponse {
  try {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const stack = error instanceof Error && typeof error.stack === 'string' ? error.stack : undefined;
    const line = TRANSPORT_FAILED(kind, oneLine(reason));
    if (stack === undefined) logger?.error(line);
    else logger?.error(line, maskUrlCredentials(stack));
  } catch {
    // A hostile error (a throwing getter) or a throwing logger must not cost the kubelet its answer.
  }
  const message = `The ${kind} probe could not be answered; the error is in the application's log`;
  return { statusCode, contentType: PROBE_HEADERS['Content-Type'], body: JSON.stringify({ statusCode, message }) };
}
