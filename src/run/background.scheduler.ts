import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ProbeRegistry, type RegisteredCheck } from '../discovery/probe.registry.js';
import { JITTER } from './check-policy.js';
import { ProbeRunner } from './probe.runner.js';

/** The delay before a background check's next run: `intervalMs` ± 10 %, so replicas do not stampede a shared dependency. */
export function nextDelayMs(intervalMs: number, random: () => number = Math.random): number {
  return Math.round(intervalMs * (1 - JITTER + 2 * JITTER * random()));
}

interface Loop {
  timer: NodeJS.Timeout | undefined;
  stopped: boolean;
}

/**
 * Runs the checks that have an `intervalMs` on their own schedule, from bootstrap to shutdown: the
 * first run at once, each next one `nextDelayMs` after the previous has settled or timed out, so a
 * check never overlaps itself (a call still pending after its timeout is joined, not repeated, until
 * `abandonAfterMs`). Probes never wait for these runs: they answer the health state. Checks
 * registered or unregistered after bootstrap start or stop their loop then. A startup check stops
 * once it has passed. Timers are unref'd, so they never keep the process alive.
 */
@Injectable()
export class BackgroundScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly loops = new Map<RegisteredCheck, Loop>();
  private running = false;
  private unwatch: (() => void) | null = null;

  constructor(
    private readonly registry: ProbeRegistry,
    private readonly runner: ProbeRunner,
  ) {}

  onApplicationBootstrap(): void {
    this.running = true;
    for (const kind of ['readiness', 'liveliness', 'startup'] as const) {
      for (const check of this.registry.get(kind)) this.start(check);
    }
    this.unwatch = this.registry.watch((check, added) => (added ? this.start(check) : this.stop(check)));
  }

  /** Stops every loop (a run under way finishes, but schedules nothing). */
  onApplicationShutdown(): void {
    this.running = false;
    this.unwatch?.();
    for (const check of [...this.loops.keys()]) this.stop(check);
  }

  /** How many checks run in the background now. */
  get size(): number {
    return this.loops.size;
  }

  private start(check: RegisteredCheck): void {
    if (!this.running || check.kind === 'environ' || this.loops.has(check)) return;
    const { intervalMs } = this.runner.policyOf(check);
    if (intervalMs === 0) return;
    const loop: Loop = { timer: undefined, stopped: false };
    this.loops.set(check, loop);
    void this.tick(check, loop, intervalMs);
  }

  private async tick(check: RegisteredCheck, loop: Loop, intervalMs: number): Promise<void> {
    const { outcome } = await this.runner.refresh(check);
    if (loop.stopped) return;
    if (check.kind === 'startup' && outcome.status) {
      this.loops.delete(check);
      return;
    }
    loop.timer = setTimeout(() => void this.tick(check, loop, intervalMs), nextDelayMs(intervalMs));
    loop.timer.unref();
  }

  private stop(check: RegisteredCheck): void {
    const loop = this.loops.get(check);
    if (!loop) return;
    loop.stopped = true;
    clearTimeout(loop.timer);
    this.loops.delete(check);
  }
}
