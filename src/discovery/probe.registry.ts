import { Injectable } from '@nestjs/common';
import { HANDLER_NOT_A_FUNCTION, REGISTER_OWNER } from '../heartbeat.messages.js';
import type { HeartbeatCheck } from '../interfaces/heartbeat-check.interface.js';
import type { CheckHandler, ProbeKind, CheckOptions } from '../interfaces/probe.interface.js';
import {
  checkNameOf,
  functionName,
  isCheckObject,
  readCheck,
  readCheckOptions,
  toProbeKind,
} from '../options/check-options.rules.js';
import type { ProbeName } from '../probe/probe-kinds.js';

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

/** Every check of every probe, in registration order: decorated methods at bootstrap, then `register` calls. */
@Injectable()
export class ProbeRegistry {
  private readonly probes: Record<ProbeKind, readonly RegisteredCheck[]> = {
    readiness: [],
    liveliness: [],
    startup: [],
    environ: [],
  };
  private readonly watchers: ((check: RegisteredCheck, added: boolean) => void)[] = [];
  /** Each check's switch to another handler (the testing entry's `fakeCheck`). */
  private readonly replacers = new WeakMap<RegisteredCheck, (handler: CheckHandler | undefined) => void>();

  /**
   * Registers `handler` as a check of the probe `kind` and returns a function that unregisters it.
   * The check is named `options.name`, else the function's (or the check's) name. Throws an error
   * naming the option for a value it cannot use, so that one bad call never reaches a probe.
   */
  register(kind: ProbeKindInput, handler: CheckHandler | HeartbeatCheck, options: CheckOptions = {}): () => void {
    const resolved = toProbeKind(kind);
    const owner = REGISTER_OWNER(resolved);
    const valid = readCheckOptions(owner, options, resolved);
    if (isCheckObject(handler)) {
      const { name: own, run, health } = readCheck(owner, 'handler', handler, valid.name !== undefined);
      const name = checkNameOf(owner, valid, own, own);
      return this.add({ kind: resolved, name, source: name, handler: run, options: valid, trusted: false, health });
    }
    if (typeof handler !== 'function') throw new TypeError(HANDLER_NOT_A_FUNCTION(resolved, handler));
    const name = checkNameOf(owner, valid, functionName(handler), 'anonymous');
    return this.add({ kind: resolved, name, source: name, handler, options: valid, trusted: false });
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

  /** @internal Adds several checks with one copy of each list (the decorated ones, at bootstrap). */
  addAll(probes: readonly RegisteredCheck[]): (() => void)[] {
    // The options were validated where they were given (register, the explorer, the module's own contributors).
    const entries = probes.map((probe) => this.replaceable({ ...probe, options: { ...probe.options } }));
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
   * Makes `check` answer with `handler` instead of its own from its next call on (`undefined`:
   * its own again); its options, cache, thresholds and schedule stay. For the testing entry.
   * @internal
   */
  replace(check: RegisteredCheck, handler: CheckHandler | undefined): void {
    this.replacers.get(check)?.(handler);
  }

  /**
   * Gives `entry` a handler of its own that calls the check's, or a replacement while one is set:
   * the runner keeps calling one function, and its `length` (whether it is given an `AbortSignal`)
   * is read from the function it calls now.
   */
  private replaceable(entry: RegisteredCheck): RegisteredCheck {
    const own = entry.handler;
    let current = own;
    const handler = function (this: unknown, signal: AbortSignal): unknown {
      // Reflect.apply, not current.call: a Proxy handler sees one apply, as before, and no read of `call`.
      return Reflect.apply(current, this, [signal]);
    };
    Object.defineProperty(handler, 'length', { get: () => current.length });
    const check = { ...entry, handler };
    this.replacers.set(check, (replacement) => (current = replacement ?? own));
    return check;
  }

  /** @internal Calls `watcher` with each check added (`true`) or removed (`false`) from now on; returns its stop. */
  watch(watcher: (check: RegisteredCheck, added: boolean) => void): () => void {
    this.watchers.push(watcher);
    return () => {
      const at = this.watchers.indexOf(watcher);
      if (at !== -1) this.watchers.splice(at, 1);
    };
  }
}
