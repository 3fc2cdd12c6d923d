import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** How one GET ended: with a status line, with an error (its code, else its message), or with no answer in time. */
export type GetOutcome = { readonly statusCode: number } | { readonly error: string } | { readonly timedOut: true };

/**
 * One GET of `target` without an agent (no connection outlives it), decided on the status line: the
 * request is destroyed as soon as the status is known, so a body that is huge or never ends is
 * neither read nor waited for. Used by `httpCheck` and the CLI.
 */
export function getStatus(target: URL, timeoutMs: number, headers?: Record<string, string>): Promise<GetOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome: GetOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      resolve(outcome);
    };
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send(target, { method: 'GET', agent: false, ...(headers && { headers }) }, (response) =>
      settle({ statusCode: response.statusCode ?? 0 }),
    );
    const timer = setTimeout(() => settle({ timedOut: true }), timeoutMs);
    request.on('error', (error: NodeJS.ErrnoException) => settle({ error: error.code ?? error.message }));
    request.end();
  });
}
