import { Injectable } from '@nestjs/common';
import { isProbeName, MAX_TIMER_MS, PROBE_ROUTES, type ProbeName } from '../heartbeat.constants.js';
import {
  HANDLER_NOT_A_FUNCTION,
  INVALID_INTERVAL,
  INVALID_NUMBER_OPTION,
  INVALID_STALE_AFTER,
  INVALID_THRESHOLD,
  UNKNOWN_PROBE_KIND,
} from '../heartbeat.messages.js';
import type { HeartbeatCheck } from '../interfaces/heartbeat-check.interface.js';
import type { CheckHandler, ProbeKind, CheckOptions } from '../interfaces/probe.interface.js';

/** A probe kind as accepted by `register`: `liveness` is the Kubernetes spelling of `liveliness`. */
export type ProbeKindInput = ProbeName;

/** A check held by the registry. */
export interface RegisteredCheck {
  readonly kind: ProbeKind;
  /** The check's name unless its result names it. */
  readonly name: string;
  /** Who registered it (`Class.method`), used in failure messages and logs. */
  readonly source: string;
  readonly handler: CheckHandler;
  readonly options: Readonly<CheckOptions>;
  /** Built-in contributors whose data are known to be plain JSON skip the sanitising copy. */
  readonly trusted: boolean;
  /** How the check appears in `application/health+json` (set by the built-in checks). */
  readonly health?: HeartbeatCheck['health'];
}

function isHeartbeatCheck(value: unknown): value is HeartbeatCheck {
  return typeof value === 'object' && value !== null && typeof (value as HeartbeatCheck).run === 'function';
}

/** Resolves `liveness` to `liveliness` and rejects anything that is not a probe kind. */
export function toProbeKind(kind: unknown): ProbeKind {
  if (!isProbeName(kind)) throw new Error(UNKNOWN_PROBE_KIND(kind));
  return PROBE_ROUTES[kind];
}

/** Throws a readable error unless each named duration is absent or a number from 0 to 2^31-1 milliseconds. */
export function assertNonNegativeNumbers(owner: string, values: Record<string, unknown>): void {
  for (const [option, value] of Object.entries(values)) {
    if (value !== undefined && (typeof value !== 'number' || !(value >= 0 && value <= MAX_TIMER_MS))) {
      throw new Error(INVALID_NUMBER_OPTION(owner, option, value));
    }
  }
}

/** Throws a readable error unless `intervalMs` is 0 or 100 ms to 2^31-1 ms and each threshold a whole number from 1 to 1000. */
export function assertSchedule(
  owner: string,
  {
    intervalMs,
    staleAfterMs,
    failureThreshold,
    successThreshold,
  }: { intervalMs?: unknown; staleAfterMs?: unknown; failureThreshold?: unknown; successThreshold?: unknown },
): void {
  if (intervalMs !== undefined && intervalMs !== 0) {
    if (typeof intervalMs !== 'number' || !(intervalMs >= 100 && intervalMs <= MAX_TIMER_MS)) {
      throw new Error(INVALID_INTERVAL(owner, intervalMs));
    }
  }
  if (staleAfterMs === 0) throw new Error(INVALID_STALE_AFTER(owner, staleAfterMs));
  for (const [option, value] of Object.entries({ failureThreshold, successThreshold })) {
    if (value !== undefined && !(Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 1000)) {
      throw new Error(INVALID_THRESHOLD(owner, option, value));
    }
  }
}

/**
 * The signal registry: every check of every probe, in registration order. Decorated methods are
 * added at bootstrap; code that cannot use decorators calls `register`.
 */
@Injectable()
export class ProbeRegistry {
  private readonly probes: Record<ProbeKind, readonly RegisteredCheck[]> = {
    readiness: [],
    liveliness: [],
    startup: [],
    environ: [],
  };
  private readonly watchers: ((check: RegisteredCheck, added: boolean) => void)[] = [];

  /**
   * Registers `handler` as a check of the probe `kind` and returns a function that unregisters it.
   * The check is named `options.name`, else the function's name.
   */
  register(kind: ProbeKindInput, handler: CheckHandler | HeartbeatCheck, options: CheckOptions = {}): () => void {
    const resolved = toProbeKind(kind);
    if (isHeartbeatCheck(handler)) {
      const check = handler;
      const name = options.name || check.name;
      const run = () => check.run();
      return this.add({
        kind: resolved,
        name,
        source: name,
        handler: run,
        options,
        trusted: false,
        health: check.health,
      });
    }
    if (typeof handler !== 'function') throw new Error(HANDLER_NOT_A_FUNCTION(resolved));
    const name = options.name || handler.name || 'anonymous';
    return this.add({ kind: resolved, name, source: name, handler, options, trusted: false });
  }

  /** The checks of one probe, in registration order. The array is replaced, never mutated. */
  get(kind: ProbeKind): readonly RegisteredCheck[] {
    return this.probes[kind];
  }

  /**
   * Adds a fully described check; used by the built-in contributors.
   * @internal `trusted` skips the sanitising copy of results: not for checks of the app's.
   */
  add(probe: RegisteredCheck): () => void {
    return this.addAll([probe])[0];
  }

  /**
   * Adds several checks at once (one copy of each list, however many there are); used by the explorer.
   * @internal
   */
  addAll(probes: readonly RegisteredCheck[]): (() => void)[] {
    const entries = probes.map((probe) => {
      const { timeoutMs, cacheTtlMs, abandonAfterMs, staleAfterMs } = probe.options;
      assertNonNegativeNumbers(probe.source, { timeoutMs, cacheTtlMs, abandonAfterMs, staleAfterMs });
      assertSchedule(probe.source, probe.options);
      return { ...probe, options: { ...probe.options } };
    });
    for (const kind of new Set(entries.map((entry) => entry.kind))) {
      this.probes[kind] = [...this.probes[kind], ...entries.filter((entry) => entry.kind === kind)];
    }
    for (const entry of entries) for (const watcher of this.watchers) watcher(entry, true);
    return entries.map((entry) => () => {
      const before = this.probes[entry.kind];
      this.probes[entry.kind] = before.filter((candidate) => candidate !== entry);
      if (this.probes[entry.kind].length === before.length) return;
      for (const watcher of this.watchers) watcher(entry, false);
    });
  }

  /**
   * Calls `watcher` with each check added (`true`) or removed (`false`) from now on; returns a
   * function that stops it. Used by the background scheduler.
   * @internal
   */
  watch(watcher: (check: RegisteredCheck, added: boolean) => void): () => void {
    this.watchers.push(watcher);
    return () => {
      const at = this.watchers.indexOf(watcher);
      if (at !== -1) this.watchers.splice(at, 1);
    };
  }
}
