import type { ProbeRegistry, RegisteredCheck } from '../discovery/probe.registry.js';
import { HEALTH_PROBES } from '../probe/probe-kinds.js';
import { TESTING_UNKNOWN_CHECK } from '../heartbeat.messages.js';
import type { CheckData, CheckHandler } from '../interfaces/probe.interface.js';
import { probeKindOf, registryOf, type TestedApp, type TestedProbe } from './testing-app.js';

/**
 * What a faked check does from its next call on: return this outcome (`{ status: false, message }`,
 * `true`, `false`), throw this error, run this handler, or `'hang'`: never settle, as a lost driver
 * promise does (the check then fails by its timeout).
 */
export type FakeOutcome = ({ status: boolean } & CheckData) | boolean | Error | CheckHandler | 'hang';

/** Undoes one `fakeCheck` (idempotent); also a disposable, for `using restore = fakeCheck(...)`. */
export interface RestoreCheck {
  (): void;
  [Symbol.dispose](): void;
}

/** Which checks `fakeCheck` replaces: by default every check of that name, in every probe. */
export interface FakeCheckOptions {
  /** Only the check of this probe (`readiness`, `liveness`, `startup`, `environ`). */
  readonly probe?: TestedProbe;
}

interface Fake {
  readonly registry: ProbeRegistry;
  readonly handler: CheckHandler;
  readonly checks: readonly RegisteredCheck[];
}

/** The fakes in force, per check, the latest last: restoring one puts back the one below it. */
const stacks = new Map<RegisteredCheck, Fake[]>();
const active = new Set<Fake>();

/**
 * Makes the checks named `name` answer `outcome` until the returned function (or `restoreChecks`)
 * restores them. The check keeps its options: its timeout, cache, thresholds and background
 * schedule apply to the fake, which answers from the check's next call (at once for a check that
 * runs on each probe; at its next run for a background check). Throws an error listing the
 * registered names when none is named `name`.
 */
export function fakeCheck(
  app: TestedApp,
  name: string,
  outcome: FakeOutcome,
  options: FakeCheckOptions = {},
): RestoreCheck {
  const registry = registryOf(app, 'fakeCheck');
  const kinds = options.probe === undefined ? [...HEALTH_PROBES, 'environ' as const] : [probeKindOf(options.probe)];
  const all = kinds.flatMap((kind) => registry.get(kind));
  const checks = all.filter((check) => check.name === name);
  if (checks.length === 0) throw new Error(TESTING_UNKNOWN_CHECK(name, [...new Set(all.map((check) => check.name))]));
  const fake: Fake = { registry, handler: handlerOf(outcome), checks };
  active.add(fake);
  for (const check of checks) {
    const stack = stacks.get(check) ?? [];
    stack.push(fake);
    stacks.set(check, stack);
    registry.replace(check, fake.handler);
  }
  const restore = (() => undo(fake)) as RestoreCheck;
  restore[Symbol.dispose] = restore;
  return restore;
}

/**
 * Restores every check `fakeCheck` replaced in `app`, or in every app when none is given: one
 * line in `afterEach` (`afterEach(() => restoreChecks())`) restores what a test forgot.
 */
export function restoreChecks(app?: TestedApp): void {
  const registry = app === undefined ? undefined : registryOf(app, 'restoreChecks');
  for (const fake of [...active]) if (registry === undefined || fake.registry === registry) undo(fake);
}

function undo(fake: Fake): void {
  if (!active.delete(fake)) return;
  for (const check of fake.checks) {
    const stack = (stacks.get(check) ?? []).filter((other) => other !== fake);
    if (stack.length === 0) stacks.delete(check);
    else stacks.set(check, stack);
    fake.registry.replace(check, stack.at(-1)?.handler);
  }
}

const hang: CheckHandler = () => new Promise<never>(() => {});

function handlerOf(outcome: FakeOutcome): CheckHandler {
  if (outcome === 'hang') return hang;
  if (typeof outcome === 'function') return outcome;
  if (outcome instanceof Error) {
    return () => {
      throw outcome;
    };
  }
  return () => outcome;
}
