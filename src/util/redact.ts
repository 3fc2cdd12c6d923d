import { defineKey } from './define-key.js';

/*
 * The one masking rule for every byte the module lets out (bodies of every view, log lines, the
 * CLI, metrics labels): the password of a URL (`postgres://app:***@db`, `redis://:***@cache`) and
 * the value of a credential-like parameter (`?token=***`, `password=***` in free text) become `***`.
 *
 * Every pattern starts only where a run of its characters starts (a lookbehind), and no match can
 * span the start of another, so a string is scanned in linear time, whatever it holds.
 */

/** What a masked secret is shown as. */
export const MASK = '***';

/**
 * A URL's user-info: `scheme://user:password@`. The password runs to the last `@` before the path,
 * as a URL parser reads it (`p@ss` is one password).
 */
const URL_CREDENTIALS = /(?<![a-z0-9+.-])([a-z][a-z0-9+.-]*:\/\/[^\s:/?#@]*:)[^\s/?#]*@/gi;

/** A parameter's name followed by `=`, at the start of a run of name characters. */
const PARAMETER = /(?<![\w.-])([\w.-]+)=/g;

/** A parameter's value: quoted (within bounds), or up to a separator. */
const VALUE = /"[^"\n]{0,256}"|'[^'\n]{0,256}'|["']?[^\s&#;,"'<>()[\]{}\\]*/y;

/** Names that are a credential wherever they end a parameter's name (`access_token`, `dbpassword`, `X-Amz-Signature`). */
const CREDENTIAL_ENDINGS = [
  'token',
  'password',
  'passwd',
  'passphrase',
  'secret',
  'apikey',
  'signature',
  'credentials',
];

/** Names that are a credential when they are the whole name or its last part (`key`, `api_key`, `x-api-key`, `sig`). */
const CREDENTIAL_WORDS = new Set(['key', 'pwd', 'pass', 'auth', 'sig', 'session', 'sessionid', 'credential']);

/** The last word of a camelCase name (`Key` of `AccountKey`, `privateKey`), as Azure and SDK settings name them. */
const CAMEL_LAST_WORD = /[A-Z][a-z0-9]*$/;

/** Whether a parameter named `name` carries a credential (case-insensitive). */
export function isCredentialName(name: string): boolean {
  const lower = name.toLowerCase();
  const compact = lower.replace(/[-_.]/g, '');
  if (CREDENTIAL_ENDINGS.some((ending) => compact.endsWith(ending))) return true;
  const last = lower.slice(Math.max(lower.lastIndexOf('-'), lower.lastIndexOf('_'), lower.lastIndexOf('.')) + 1);
  if (CREDENTIAL_WORDS.has(last)) return true;
  const camel = CAMEL_LAST_WORD.exec(name)?.[0].toLowerCase();
  return camel !== undefined && CREDENTIAL_WORDS.has(camel);
}

/** Whether `text` may hold something to mask: a cheap test that lets most strings through untouched. */
export function mayHoldSecret(text: string): boolean {
  return text.includes('=') || hasUrlCredentials(text);
}

/** A URL password needs both `://` and `@` (a scoped package name such as `@nestjs/core` has only one). */
function hasUrlCredentials(text: string): boolean {
  return text.includes('@') && text.includes('://');
}

/**
 * `text` with every URL password and every credential-like parameter's value masked. The same
 * string when there is nothing to mask; masking a masked text changes nothing.
 */
export function maskSecrets(text: string): string {
  if (!mayHoldSecret(text)) return text;
  const urls = hasUrlCredentials(text) ? text.replace(URL_CREDENTIALS, `$1${MASK}@`) : text;
  return urls.includes('=') ? maskParameters(urls) : urls;
}

function maskParameters(text: string): string {
  let masked = '';
  let copied = 0;
  PARAMETER.lastIndex = 0;
  for (let match = PARAMETER.exec(text); match !== null; match = PARAMETER.exec(text)) {
    if (!isCredentialName(match[1])) continue;
    const start = PARAMETER.lastIndex;
    VALUE.lastIndex = start;
    VALUE.exec(text);
    const end = VALUE.lastIndex;
    // Another parameter's value may begin here (`?token=&x=1`): nothing to mask.
    if (end === start) continue;
    masked += text.slice(copied, start) + MASK;
    copied = end;
    PARAMETER.lastIndex = end;
  }
  return copied === 0 ? text : masked + text.slice(copied);
}

/** The same rule under its first name, for the callers that masked URL passwords only. */
export const maskUrlCredentials = maskSecrets;

/**
 * At most this deep a value is walked: deeper than any JSON within the normalizer's data limit
 * (2048 bytes nest at most 1024 levels), well within the stack.
 */
const MAX_DEPTH = 2048;

/**
 * `value` (JSON data: objects, arrays, strings…) with `maskSecrets` applied to every string and
 * every key, recursively. Returns `value` itself when nothing was masked, so an unchanged result
 * keeps its identity; only the objects on the way to a masked string are copied.
 */
export function maskData<T>(value: T, depth = 0): T {
  if (typeof value === 'string') return maskSecrets(value) as T;
  if (value === null || typeof value !== 'object' || depth >= MAX_DEPTH) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const masked = maskData(item, depth + 1);
      if (masked !== item) (copy ??= value.slice())[i] = masked;
    }
    return (copy ?? value) as T;
  }
  let copy: Record<string, unknown> | undefined;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  for (const key of keys) {
    const item = record[key];
    const maskedKey = maskSecrets(key);
    const masked = maskData(item, depth + 1);
    if (masked !== item || maskedKey !== key) {
      copy ??= copyUpTo(record, keys, key);
      defineKey(copy, maskedKey, masked);
    } else if (copy) defineKey(copy, key, item);
  }
  return (copy ?? value) as T;
}

/** A copy of `record`'s entries before `stop`, in order, with the same prototype (null or Object). */
function copyUpTo(record: Record<string, unknown>, keys: readonly string[], stop: string): Record<string, unknown> {
  const copy = Object.create(Object.getPrototypeOf(record) as object | null) as Record<string, unknown>;
  for (const key of keys) {
    if (key === stop) break;
    defineKey(copy, key, record[key]);
  }
  return copy;
}
