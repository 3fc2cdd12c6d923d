import { maskSecrets } from './redact.js';

// Text a check's outcome carries: cut to size, on one line, and descriptions of any value that never throw.

/** Messages longer than this are cut, so that a body stays readable within the kubelet's 10 KiB. */
export const MAX_MESSAGE_LENGTH = 300;
/** Appended to a message that was cut. */
export const TRUNCATION_MARKER = '… [truncated]';

/** Cuts a message to the length a probe body can afford, marking the cut. */
export function truncate(message: string, max = MAX_MESSAGE_LENGTH): string {
  return message.length <= max ? message : message.slice(0, max - TRUNCATION_MARKER.length) + TRUNCATION_MARKER;
}

/** Control characters (newlines among them) that could forge a line in the text view or a log. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f\u2028\u2029]/g;
/** Whether a text holds one of them (not global, so `test` keeps no state). */
export const HAS_CONTROL = new RegExp(CONTROL.source);

/**
 * Text fit for a body, a text view line and a log line: on one line (control characters escaped as
 * `\n`, `\u0007`…), secrets masked (`redact.ts`), cut to `max`.
 */
export function oneLine(text: string, max = MAX_MESSAGE_LENGTH): string {
  // Cut well past `max` before the work: a URL whose password starts before `max` keeps its `@`, so is masked.
  const short = text.length > max * 2 + SECRET_ROOM ? text.slice(0, max * 2 + SECRET_ROOM) : text;
  return truncate(maskSecrets(short.replace(CONTROL, escapeControl)), max);
}

/** Longer than any password or token a URL carries. */
const SECRET_ROOM = 4096;

function escapeControl(char: string): string {
  if (char === '\n') return '\\n';
  if (char === '\r') return '\\r';
  if (char === '\t') return '\\t';
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
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
export function kindOf(error: unknown): string {
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

/** Whether a value is a plain object (its prototype Object's, or null). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The text up to its first newline. */
export function firstLine(text: string): string {
  return text.split('\n', 1)[0];
}
