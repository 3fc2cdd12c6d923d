import type { ProbeReport } from '../../interfaces/probe.interface.js';
import type { ProbeResponse } from './response.js';

/** The seed's JSON body: `{ status, checks }`, with `unknownExcludes` or, for a capped body, `truncated`. */
export function renderJson(report: ProbeReport, unknownExcludes?: readonly string[], truncated?: string): string {
  if (truncated !== undefined) return JSON.stringify({ ...report, truncated });
  return JSON.stringify(unknownExcludes?.length ? { ...report, unknownExcludes } : report);
}

/**
 * A whole probe's JSON body (seed or terminus) with the worker thread's verdict on the main loop
 * added as `mainThread`: a failing verdict fails the probe (only keys are added; the status keeps
 * its type, terminus's being a string). `document` is the parsed body of `response`.
 */
export function withMainThread(
  response: ProbeResponse,
  document: Record<string, unknown>,
  mainThread: { readonly status: boolean; readonly [key: string]: unknown },
  failureStatusCode: number,
): ProbeResponse {
  if (mainThread.status) return { ...response, body: JSON.stringify({ ...document, mainThread }) };
  const status = typeof document.status === 'boolean' ? false : 'error';
  const statusCode = response.statusCode >= 400 ? response.statusCode : failureStatusCode;
  return { ...response, statusCode, body: JSON.stringify({ ...document, status, mainThread }) };
}
