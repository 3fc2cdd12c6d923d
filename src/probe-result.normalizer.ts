import { MAX_CHECK_DATA_BYTES, MAX_MESSAGE_LENGTH, MAX_NAME_LENGTH, TRUNCATION_MARKER } from './heartbeat.constants.js';
import { CHECK_DATA_TOO_LARGE, CHECK_INVALID, CHECK_THREW, CHECK_THREW_WITHHELD } from './heartbeat.messages.js';
import { maskUrlCredentials } from './redact.js';
import type { CheckData } from './interfaces/probe.interface.js';
import type { RegisteredProbe } from './probe.registry.js';

/** One check's result once the module has made sense of whatever the handler did. */
export interface CheckOutcome {
  /** The tuple's name, else the registered name. */
  readonly name: string;
  readonly status: boolean;
  /** JSON-safe data to report beside the status (never containing `status`). */
  readonly data: CheckData;
  /** Why the check fails, as bodies may show it; absent when it passes. */
  readonly reason?: string;
  /** Why the check fails, for the log only, when bodies withhold it (the text of an error a handler threw). */
  readonly logReason?: string;
  /** Set when the module itself failed the check (it threw, timed out or returned garbage). */
  readonly error?: string;
}

/** Cuts a message to the length a probe body can afford, marking the cut. */
export function truncate(message: string, max = MAX_MESSAGE_LENGTH): string {
  return message.length <= max ? message : message.slice(0, max - TRUNCATION_MARKER.length) + TRUNCATION_MARKER;
}

/** Control characters (newlines among them) that could forge a line in the text view or a log. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f\u2028\u2029]/g;
// eslint-disable-next-line no-control-regex
const HAS_CONTROL = /[\u0000-\u001f\u007f\u2028\u2029]/;

/**
 * Text fit for a body, a text view line and a log line: on one line (control characters escaped as
 * `\n`, `\u0007`…), URL passwords masked, cut to `max`.
 */
export function oneLine(text: string, max = MAX_MESSAGE_LENGTH): string {
  const short = text.length > max * 2 ? text.slice(0, max * 2) : text;
  return truncate(maskUrlCredentials(short.replace(CONTROL, escapeControl)), max);
}

function escapeControl(char: string): string {
  if (char === '\n') return '\\n';
  if (char === '\r') return '\\r';
  if (char === '\t') return '\\t';
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** A check's name as reported: one line, capped (a result tuple may name it with anything). */
export function checkName(name: string): string {
  return oneLine(name, MAX_NAME_LENGTH);
}

/** A failing outcome produced by the module itself, carrying `message`. */
export function failed(probe: RegisteredProbe, message: string, name = probe.name, logReason?: string): CheckOutcome {
  const text = oneLine(message);
  const outcome: CheckOutcome = {
    name: checkName(name),
    status: false,
    data: { message: text },
    reason: text,
    error: text,
  };
  return logReason === undefined ? outcome : { ...outcome, logReason };
}

/**
 * The failing outcome of a handler that threw or rejected with `error` (any value). Its text may
 * hold a secret (a connection string, a key), so bodies show it only when `showErrors`; the log
 * always has it, with URL passwords masked.
 */
export function thrown(probe: RegisteredProbe, error: unknown, showErrors: boolean): CheckOutcome {
  const text = CHECK_THREW(probe.source, reasonOf(error));
  if (showErrors) return failed(probe, text);
  return failed(probe, CHECK_THREW_WITHHELD(probe.source, kindOf(error)), probe.name, oneLine(text));
}

/** The failing outcome of a result whose inspection threw (a getter, a Proxy trap, a revoked Proxy). */
export function unreadable(probe: RegisteredProbe, error: unknown): CheckOutcome {
  return invalid(probe, `a value that could not be read (${reasonOf(error)})`);
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
    return unreadable(probe, error);
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
    return unreadable(probe, error);
  }
}

function passOrFail(name: string, status: boolean, data: CheckData): CheckOutcome {
  // The common name needs no copy: only one that is long, spans lines or may hold a URL password is rewritten.
  const reported =
    name.length > MAX_NAME_LENGTH || HAS_CONTROL.test(name) || name.includes('@') ? checkName(name) : name;
  return status ? { name: reported, status, data } : { name: reported, status, data, reason: reasonFromData(data) };
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
    if (typeof data[key] === 'string') return oneLine(data[key] as string);
  }
  return undefined;
}

/**
 * A readable reason for any thrown value: an Error's message, a string, or a description. Never
 * throws, whatever the value (a throwing getter, a revoked Proxy, a trap that throws).
 */
export function reasonOf(error: unknown): string {
  try {
    if (typeof error === 'string') return error || 'an empty string was thrown';
    if (error !== null && typeof error === 'object') {
      const message: unknown = (error as { message?: unknown }).message;
      if (typeof message === 'string' && message !== '') return message;
      if (error instanceof Error) return String(error.name) || 'an Error without a message';
    }
    return `threw ${describe(error)}`;
  } catch {
    return 'threw a value that could not be inspected';
  }
}

/** The class and code of a thrown value (`TypeError`, `Error ECONNREFUSED`), safe to show where its text is not. */
function kindOf(error: unknown): string {
  try {
    if (error === null || typeof error !== 'object') return describe(error);
    const { name, code } = error as { name?: unknown; code?: unknown };
    const label = typeof name === 'string' && /^[A-Za-z]\w{0,39}$/.test(name) ? name : 'an error';
    return typeof code === 'string' && /^[A-Z][A-Z0-9_]{0,39}$/.test(code) ? `${label} ${code}` : label;
  } catch {
    return 'a value that could not be inspected';
  }
}

/** Describes a value in a few words for an error message, without printing much of it. Never throws. */
export function describe(value: unknown): string {
  try {
    return describeValue(value);
  } catch {
    return 'a value that could not be inspected';
  }
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  switch (typeof value) {
    case 'string':
      return `a string (${JSON.stringify(oneLine(value, 40))})`;
    case 'number':
    case 'boolean':
      return `a ${typeof value} (${String(value)})`;
    case 'bigint':
      return `a bigint (${truncate(String(value), 40)}n)`;
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
    default: {
      if (isPlainObject(value)) return 'an object';
      const ctor: unknown = Object.getPrototypeOf(value)?.constructor?.name;
      return `an instance of ${typeof ctor === 'string' && ctor ? oneLine(ctor, 40) : 'an unknown class'}`;
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
