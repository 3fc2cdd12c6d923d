import { MAX_CHECK_DATA_BYTES, MAX_NAME_LENGTH } from '../heartbeat.constants.js';
import {
  CHECK_DATA_TOO_LARGE,
  CHECK_INVALID,
  CHECK_THREW,
  CHECK_THREW_WITHHELD,
  INDICATOR_TEXT_WITHHELD,
} from '../heartbeat.messages.js';
import type { CheckData } from '../interfaces/probe.interface.js';
import type { RegisteredCheck } from '../discovery/probe.registry.js';
import { maskData, mayHoldSecret } from '../util/redact.js';
import {
  checkResultEntries,
  type IndicatorEntry,
  indicatorEntries,
  thrownIndicatorEntries,
} from './indicator-result.js';
import { HAS_CONTROL, oneLine, reasonOf, kindOf, describe, isPlainObject, firstLine } from '../util/text.js';
import { checkName } from '../probe/check-name.js';
import type { CheckOutcome } from '../state/check-outcome.js';

/** A failing outcome produced by the module itself, carrying `message`. */
export function failed(probe: RegisteredCheck, message: string, name = probe.name, logReason?: string): CheckOutcome {
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
export function thrown(probe: RegisteredCheck, error: unknown, showErrors: boolean): CheckOutcome {
  // A thrown result fails, whatever its entries say: one whose entries all pass is a plain throw.
  const entries = thrownIndicatorEntries(error);
  if (entries?.some(({ status }) => status === 'down')) {
    return fromIndicator(probe, entries, showErrors ? null : kindOf(error));
  }
  const text = CHECK_THREW(probe.source, reasonOf(error));
  if (showErrors) return failed(probe, text);
  return failed(probe, CHECK_THREW_WITHHELD(probe.source, kindOf(error)), probe.name, oneLine(text));
}

/** The failing outcome of a result whose inspection threw (a getter, a Proxy trap, a revoked Proxy). */
export function unreadable(probe: RegisteredCheck, error: unknown): CheckOutcome {
  return invalid(probe, `a value that could not be read (${reasonOf(error)})`);
}

/** Normalises what a handler of `check` returned, as its probe's kind expects. Never throws. */
export function normalizeFor(check: RegisteredCheck, value: unknown): CheckOutcome {
  return check.kind === 'environ' ? normalizeEnviron(check, value) : normalizeCheck(check, value);
}

/** Normalises what a readiness, liveliness or startup handler returned. Never throws. */
export function normalizeCheck(probe: RegisteredCheck, value: unknown): CheckOutcome {
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
    const entries = indicatorEntries(value) ?? checkResultEntries(value);
    if (entries) return fromIndicator(probe, entries, null);
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
export function normalizeEnviron(probe: RegisteredCheck, value: unknown): CheckOutcome {
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
  // The common name needs no copy: only one that is long, spans lines or may hold a secret is rewritten.
  const reported =
    typeof name !== 'string' || name.length > MAX_NAME_LENGTH || HAS_CONTROL.test(name) || mayHoldSecret(name)
      ? checkName(name)
      : name;
  return status ? { name: reported, status, data } : { name: reported, status, data, reason: reasonFromData(data) };
}

/**
 * The outcome of a terminus indicator result: each key a check named by the key, `up` and
 * `degraded` passing, `down` failing, the rest of the entry its data. When the result was thrown
 * (`withheldKind` set, unless `details: 'always'`), a failing entry's text is error text: withheld
 * from bodies and kept for the log, as a thrown error's is.
 */
function fromIndicator(probe: RegisteredCheck, entries: IndicatorEntry[], withheldKind: string | null): CheckOutcome {
  const members = entries.map(({ key, status, statusFirst, data }): CheckOutcome => {
    const passing = status !== 'down';
    const withheld = withheldKind !== null && !passing;
    const outcome = sanitized(
      probe,
      key,
      passing,
      withheld ? { message: INDICATOR_TEXT_WITHHELD(probe.source, withheldKind) } : data,
    );
    const indicator = { status: outcome.status === passing ? status : ('down' as const), statusFirst };
    if (!withheld) return { ...outcome, indicator };
    const text = reasonFromData(data as CheckData);
    return text === undefined ? { ...outcome, indicator } : { ...outcome, indicator, logReason: text };
  });
  if (members.length === 1) return members[0];
  const failing = members.find((member) => !member.status);
  if (!failing) return { name: probe.name, status: true, data: {}, members };
  const outcome: CheckOutcome = { name: probe.name, status: false, data: {}, reason: failing.reason, members };
  return failing.logReason === undefined ? outcome : { ...outcome, logReason: failing.logReason };
}

function invalid(probe: RegisteredCheck, what: string, name = probe.name): CheckOutcome {
  return failed(probe, CHECK_INVALID(probe.source, what), name);
}

/**
 * Copies the data through JSON, so the report holds only serialisable, bounded, detached values,
 * with every string and key masked (`redact.ts`): the one place where a result's text enters the
 * module, so every view, format, log line and observer carries masked text only.
 */
function sanitized(probe: RegisteredCheck, name: string, status: boolean, data: CheckData): CheckOutcome {
  const { status: _ignored, ...rest } = data;
  if (probe.trusted) return passOrFail(name, status, maskData(rest));
  let json: string;
  try {
    json = JSON.stringify(rest);
  } catch (error) {
    return invalid(probe, `data that cannot be serialised to JSON (${firstLine(reasonOf(error))})`, name);
  }
  const bytes = Buffer.byteLength(json);
  if (bytes > MAX_CHECK_DATA_BYTES)
    return failed(probe, CHECK_DATA_TOO_LARGE(probe.source, bytes, MAX_CHECK_DATA_BYTES), name);
  const copy = JSON.parse(json) as CheckData;
  return passOrFail(name, status, mayHoldSecret(json) ? maskData(copy) : copy);
}

function reasonFromData(data: CheckData): string | undefined {
  for (const key of ['message', 'error', 'reason']) {
    if (typeof data[key] === 'string') return oneLine(data[key] as string);
  }
  return undefined;
}
