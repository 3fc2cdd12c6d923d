import { MAX_CHECK_DATA_BYTES, MAX_MESSAGE_LENGTH, TRUNCATION_MARKER } from './heartbeat.constants.js';
import { CHECK_DATA_TOO_LARGE, CHECK_INVALID, CHECK_THREW } from './heartbeat.messages.js';
import type { CheckData } from './interfaces/probe.interface.js';
import type { RegisteredProbe } from './probe.registry.js';

/** One check's result once the module has made sense of whatever the handler did. */
export interface CheckOutcome {
  /** The tuple's name, else the registered name. */
  readonly name: string;
  readonly status: boolean;
  /** JSON-safe data to report beside the status (never containing `status`). */
  readonly data: CheckData;
  /** Why the check fails, for logs; absent when it passes. */
  readonly reason?: string;
  /** Set when the module itself failed the check (it threw, timed out or returned garbage). */
  readonly error?: string;
}

/** Cuts a message to the length a probe body can afford, marking the cut. */
export function truncate(message: string, max = MAX_MESSAGE_LENGTH): string {
  return message.length <= max ? message : message.slice(0, max - TRUNCATION_MARKER.length) + TRUNCATION_MARKER;
}

/** A failing outcome produced by the module itself, carrying `message`. */
export function failed(probe: RegisteredProbe, message: string, name = probe.name): CheckOutcome {
  const text = truncate(message);
  return { name, status: false, data: { message: text }, reason: text, error: text };
}

/** The failing outcome of a handler that threw or rejected with `error` (any value). */
export function thrown(probe: RegisteredProbe, error: unknown): CheckOutcome {
  return failed(probe, CHECK_THREW(probe.source, reasonOf(error)));
}

/** Normalises what a readiness, liveliness or startup handler returned. Never throws. */
export function normalizeCheck(probe: RegisteredProbe, value: unknown): CheckOutcome {
  try {
    if (value === undefined || value === null) return { name: probe.name, status: true, data: {} };
    if (typeof value === 'boolean') return passOrFail(probe.name, value, {});
    if (Array.isArray(value)) {
      const [name, status, data] = value as unknown[];
      if (value.length < 2 || value.length > 3) {
        return invalid(probe, `a tuple of length ${value.length} (expected [name, status, data?])`);
      }
      if (typeof name !== 'string' || name === '') return invalid(probe, `a tuple whose name is ${describe(name)}`);
      if (typeof status !== 'boolean') return invalid(probe, `a tuple whose status is ${describe(status)}`, name);
      if (data !== undefined && data !== null && !isPlainObject(data)) {
        return invalid(probe, `a tuple whose data is ${describe(data)}`, name);
      }
      return sanitized(probe, name, status, (data ?? {}) as CheckData);
    }
    if (isPlainObject(value)) {
      const { status, ...data } = value;
      if (typeof status !== 'boolean') return invalid(probe, `an object whose status is ${describe(status)}`);
      return sanitized(probe, probe.name, status, data);
    }
    return invalid(probe, describe(value));
  } catch (error) {
    // A getter or proxy in the result may throw while it is read.
    return invalid(probe, `a value that could not be read (${reasonOf(error)})`);
  }
}

/** Normalises what an environ contributor returned: `[status, data]`, `data`, a boolean or nothing. Never throws. */
export function normalizeEnviron(probe: RegisteredProbe, value: unknown): CheckOutcome {
  try {
    if (value === undefined || value === null) return { name: probe.name, status: true, data: {} };
    if (typeof value === 'boolean') return passOrFail(probe.name, value, {});
    if (Array.isArray(value)) {
      const [status, data] = value as unknown[];
      if (value.length !== 2) return invalid(probe, `a tuple of length ${value.length} (expected [status, data])`);
      if (typeof status !== 'boolean') return invalid(probe, `a tuple whose status is ${describe(status)}`);
      if (!isPlainObject(data)) return invalid(probe, `a tuple whose data is ${describe(data)}`);
      return sanitized(probe, probe.name, status, data);
    }
    if (isPlainObject(value)) return sanitized(probe, probe.name, true, value);
    return invalid(probe, describe(value));
  } catch (error) {
    return invalid(probe, `a value that could not be read (${reasonOf(error)})`);
  }
}

function passOrFail(name: string, status: boolean, data: CheckData): CheckOutcome {
  return status ? { name, status, data } : { name, status, data, reason: reasonFromData(data) };
}

function invalid(probe: RegisteredProbe, what: string, name = probe.name): CheckOutcome {
  return failed(probe, CHECK_INVALID(probe.source, what), name);
}

/** Copies the data through JSON, so the report holds only serialisable, bounded, detached values. */
function sanitized(probe: RegisteredProbe, name: string, status: boolean, data: CheckData): CheckOutcome {
  const { status: _ignored, ...rest } = data;
  if (probe.trusted) return passOrFail(name, status, rest);
  let json: string;
  try {
    json = JSON.stringify(rest);
  } catch (error) {
    return invalid(probe, `data that cannot be serialised to JSON (${firstLine(reasonOf(error))})`, name);
  }
  const bytes = Buffer.byteLength(json);
  if (bytes > MAX_CHECK_DATA_BYTES)
    return failed(probe, CHECK_DATA_TOO_LARGE(probe.source, bytes, MAX_CHECK_DATA_BYTES), name);
  return passOrFail(name, status, JSON.parse(json) as CheckData);
}

function reasonFromData(data: CheckData): string | undefined {
  for (const key of ['message', 'error', 'reason']) {
    if (typeof data[key] === 'string') return truncate(data[key] as string);
  }
  return undefined;
}

/** A readable reason for any thrown value: an Error's message, a string, or a description. */
export function reasonOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  if (typeof error === 'string') return error || 'an empty string was thrown';
  if (error !== null && typeof error === 'object' && typeof (error as { message?: unknown }).message === 'string') {
    return (error as { message: string }).message;
  }
  return `threw ${describe(error)}`;
}

/** Describes a value in a few words for an error message, without printing much of it. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  switch (typeof value) {
    case 'string':
      return `a string (${JSON.stringify(truncate(value, 40))})`;
    case 'number':
    case 'boolean':
      return `a ${typeof value} (${String(value)})`;
    case 'bigint':
      return `a bigint (${String(value)}n)`;
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
    default: {
      const ctor = Object.getPrototypeOf(value)?.constructor?.name;
      return isPlainObject(value) ? 'an object' : `an instance of ${ctor || 'an unknown class'}`;
    }
  }
}

/** Whether an object has no enumerable key. */
export function isEmpty(record: object): boolean {
  for (const _key in record) return false;
  return true;
}

function isPlainObject(value: unknown): value is CheckData {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0];
}
