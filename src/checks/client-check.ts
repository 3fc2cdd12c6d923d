import type { HeartbeatCheck, HeartbeatCheckResult } from '../interfaces/heartbeat-check.interface.js';
import { CLIENT_ABORTED, CLIENT_NO_ANSWER } from '../heartbeat.messages.js';
import type { CheckData } from '../interfaces/probe.interface.js';
import { readOptions } from '../options/option-reader.js';
import { CHECK_NAME, optional, required, type Rule, TIMEOUT } from '../options/option-rules.js';
import { oneLine, reasonOf } from '../util/text.js';
import { stopwatch } from './measure.js';

/*
 * What every check of an app's own client shares: its options (the instance, `timeoutMs`, `name`),
 * one call on the instance the app already holds (never a connection of its own), bounded by the
 * check's timeout and the runner's AbortSignal, and a result with `timeMs` and, when it fails, a
 * one-line reason with credentials masked.
 */

/** The options every client check takes beside its instance. */
export interface ClientCheckOptions {
  /** Give up after this many milliseconds, 1 to 2^31-1. Default 1000. */
  timeoutMs?: number;
  /** The check's name in the report. */
  name?: string;
}

/** A client failing in a known way: its message is the reason reported, as it is. */
export class ClientDown extends Error {}

/** What one probe of the client does: resolves with extra data when it is up, rejects (or throws `ClientDown`) when not. */
export type ClientProbe = (signal: AbortSignal) => Promise<CheckData | void>;

/** How a client check is built from its validated options. */
export interface ClientCheckSpec<T> {
  /** `pgCheck()`, named in option errors. */
  readonly owner: string;
  /** The option holding the instance (`pool`, `dataSource`…) and what it must be. */
  readonly instance: readonly [key: string, rule: Rule<T>];
  /** More options the check knows, beside the instance, `timeoutMs` and `name`. */
  readonly known?: readonly string[];
  /** The default name, or how to make it from the instance. */
  readonly name: string | ((instance: T) => string);
  /** Builds the probe from the instance and every option given (read once). */
  probe(instance: T, given: Readonly<Record<string, unknown>>): ClientProbe;
}

/** A check of the app's own client: `{ status, timeMs }`, plus `message` when it fails. */
export function clientCheck<T>(spec: ClientCheckSpec<T>, options: unknown): HeartbeatCheck {
  const [key, rule] = spec.instance;
  const known = [key, 'timeoutMs', 'name', ...(spec.known ?? [])];
  const given = readOptions(options ?? null, { owner: spec.owner, label: 'options', prefix: '', known });
  const instance = required(spec.owner, key, given[key], rule);
  const timeoutMs = optional(spec.owner, 'timeoutMs', given.timeoutMs, TIMEOUT) ?? 1000;
  const probe = spec.probe(instance, given);
  return {
    name: optional(spec.owner, 'name', given.name, CHECK_NAME) ?? defaultName(spec.name, instance),
    health: { componentType: 'datastore', observedKey: 'timeMs', observedUnit: 'ms' },
    run: (signal?: AbortSignal) => runProbe(probe, timeoutMs, signal),
  };
}

/** Runs `probe` once within `timeoutMs` and `signal`; never rejects. */
async function runProbe(probe: ClientProbe, timeoutMs: number, outer?: AbortSignal): Promise<HeartbeatCheckResult> {
  const elapsed = stopwatch();
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stopped = new Promise<never>((_, reject) => {
    onAbort = () => {
      const reason = outer?.reason as unknown;
      controller.abort(reason);
      reject(new ClientDown(CLIENT_ABORTED(reasonOf(reason))));
    };
    if (outer?.aborted) return onAbort();
    outer?.addEventListener('abort', onAbort, { once: true });
    timer = setTimeout(() => {
      controller.abort(new DOMException(CLIENT_NO_ANSWER(timeoutMs), 'TimeoutError'));
      reject(new ClientDown(CLIENT_NO_ANSWER(timeoutMs)));
    }, timeoutMs);
  });
  try {
    // `Promise.resolve().then` so that a probe throwing synchronously is a failure like any other.
    const data = await Promise.race([Promise.resolve().then(() => probe(controller.signal)), stopped]);
    return { status: true, timeMs: elapsed(), ...(data ?? {}) };
  } catch (error) {
    return { status: false, timeMs: elapsed(), message: failureReason(error) };
  } finally {
    clearTimeout(timer);
    if (onAbort) outer?.removeEventListener('abort', onAbort);
  }
}

/** One line, credentials masked: the error's message, with its code (`ECONNREFUSED`) when the message lacks it. */
function failureReason(error: unknown): string {
  const message = reasonOf(error);
  let code: unknown;
  try {
    code = (error as { code?: unknown } | null)?.code;
  } catch {
    code = undefined;
  }
  const withCode = typeof code === 'string' && code !== '' && !message.includes(code) ? `${code}: ${message}` : message;
  return oneLine(withCode);
}

function defaultName<T>(name: string | ((instance: T) => string), instance: T): string {
  if (typeof name === 'string') return name;
  try {
    return name(instance);
  } catch {
    return 'client';
  }
}
