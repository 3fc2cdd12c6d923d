import type { ProbeFormat } from '../../probe/probe-view.js';

/** A serialised probe response, as every transport sends it. */
export interface ProbeResponse {
  readonly statusCode: number;
  readonly contentType: string;
  readonly body: string;
}

/** The Content-Type each format is answered with. */
export const CONTENT_TYPES: Readonly<Record<ProbeFormat, string>> = {
  json: 'application/json; charset=utf-8',
  text: 'text/plain; charset=utf-8',
  'health+json': 'application/health+json; charset=utf-8',
  terminus: 'application/json; charset=utf-8',
};
