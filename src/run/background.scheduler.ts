import { HEALTH_PROBES } from '../probe/probe-kinds.js';
import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ProbeRegistry, type RegisteredCheck } from '../discovery/probe.registry.js';
import { MAX_TIMER_MS } from '../heartbeat.constants.js';
import { JITTER } from '../state/check-policy.js';
import { HealthState } from '../state/health-state.js';
import { ProbeRunner } from './probe.runner.js';

/** The delay before a background check's next run: `intervalMs` ± 10 %, so replicas do not stampede a shared dependency. */
export function nextDelayMs(intervalMs: number, random: () => number = Math.random): number {
  return Math.min(MAX_TIMER_MS, Math.round(intervalMs * (1 - JITTER + 2 * JITTER * random())));
}

interface Loop {
  timer: NodeJS.Timeout | undefined;
  stopped: boolean;
  /** Whether the loop's last run has not settled yet. */
  running: boolean;
}

/**
 * Runs the checks that have an `intervalMs` on their own schedule, from bootstrap to shutdown: the
 * first run at once, then a tick every `nextDelayMs`. A tick starts a run unless the previous one is
 * still pending, so a check never overlaps itself; a call pending for `abandonAfterMs` is abandoned
 * there and the handler called again, even without a timeout. Each tick also looks at the check's
 * last result, so a stale one fails the check (and shows in `state()` and the metrics) without a
 * probe asking. Probes never wait for these runs: they answer the health state. Checks registered or
 * unregistered after bootstrap start or stop their loop then; a startup check stops once it has
 * passed. Timers are unref'd, so they never keep the process alive.
 */
@Injectable()
export class BackgroundScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly loops = new Map<RegisteredCheck, Loop>();
  private running = false;
  private unwatch: (() => void) | null = null;

  constructor(
    private readonly registry: ProbeRegistry,
    private readonly runner: ProbeRunner,
    private readonly state: HealthState,
  ) {}

  onApplicationBootstrap(): void {
    this.running = true;
    for (const kind of HEALTH_PROBES) {
      for (const check of this.registry.get(kind)) this.start(check);
    }
    this.unwatch = this.registry.watch((check, added) => (added ? this.start(check) : this.stop(check)));
  }

  /** Stops every loop; a run under way is told to give up (its handler's signal is aborted) and schedules nothing. */
  onApplicationShutdown(): void {
    this.running = false;
    this.unwatch?.();
    for (const check of [...this.loops.keys()]) this.stop(check, true);
  }

  /** How many checks run in the background now. */
  get size(): number {
    return this.loops.size;
  }

  private start(check: RegisteredCheck): void {
    if (!this.running || check.kind === 'environ' || this.loops.has(check)) return;
    const { intervalMs } = this.state.recordOf(check).policy;
    if (intervalMs === 0) return;
    const loop: Loop = { timer: undefined, stopped: false, running: false };
    this.loops.set(check, loop);
    this.tick(check, loop, intervalMs);
  }

  private tick(check: RegisteredCheck, loop: Loop, intervalMs: number): void {
    if (loop.stopped) return;
    this.runner.peek(check);
    if (!loop.running || this.runner.isOverdue(check)) {
      loop.running = true;
      this.runner.refresh(check).then(
        ({ outcome }) => {
          loop.running = false;
          if (check.kind === 'startup' && outcome.status) this.stop(check);
        },
        () => (loop.running = false),
      );
    }
    loop.timer = setTimeout(() => this.tick(check, loop, intervalMs), nextDelayMs(intervalMs));
    loop.timer.unref();
  }

  private stop(check: RegisteredCheck, abort = false): void {
    const loop = this.loops.get(check);
    if (!loop) return;
    if (abort && loop.running) this.runner.abortPending(check);
    loop.stopped = true;
    clearTimeout(loop.timer);
    this.loops.delete(check);
  }
}
