import { type HealthProbe } from '../../probe/probe-kinds.js';
import { type HealthCall, probeOfService } from './grpc-health.protocol.js';

/**
 * The open `Watch` streams of the health service, and the period on which their probes are
 * evaluated: the timer runs only while a stream is open (unref'd, so it never keeps the process
 * alive), never starts an evaluation while the previous one is pending, and stops for good at `close()`.
 */
export class GrpcWatchers {
  private readonly calls = new Map<HealthCall, Set<HealthCall>>();
  private timer: NodeJS.Timeout | null = null;
  private evaluating = false;
  private closed = false;

  constructor(
    private readonly periodMs: number,
    private readonly evaluate: (probes: readonly HealthProbe[]) => Promise<unknown>,
  ) {}

  /** Whether `close()` has run. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** How many streams are open. */
  get size(): number {
    return this.calls.size;
  }

  /** Tracks `call` (one of `group`, the streams of one server) until it is cancelled or closed. */
  add(call: HealthCall, group: Set<HealthCall>): void {
    if (this.closed) return call.end();
    this.calls.set(call, group);
    group.add(call);
    call.on('cancelled', () => this.remove(call));
    this.schedule();
  }

  /** Ends the streams of `group` (a server shutting down), or every stream. */
  end(group?: Set<HealthCall>): void {
    for (const [call, of] of [...this.calls]) {
      if (group && of !== group) continue;
      this.remove(call);
      try {
        call.end();
      } catch {
        // The stream is already gone: nothing is left to end.
      }
    }
  }

  /** Ends every stream and stops the period for good. */
  close(): void {
    this.closed = true;
    this.end();
    this.schedule();
  }

  private remove(call: HealthCall): void {
    const group = this.calls.get(call);
    if (!group) return;
    this.calls.delete(call);
    group.delete(call);
    this.schedule();
  }

  private schedule(): void {
    const wanted = !this.closed && this.calls.size > 0;
    if (wanted && !this.timer) {
      this.timer = setInterval(() => this.tick(), this.periodMs);
      this.timer.unref();
    } else if (!wanted && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  private tick(): void {
    if (this.evaluating) return;
    const probes = new Set<HealthProbe>();
    for (const call of this.calls.keys()) {
      const probe = probeOfService(call.request.service ?? '');
      if (probe) probes.add(probe);
    }
    if (probes.size === 0) return;
    this.evaluating = true;
    void this.evaluate([...probes]).finally(() => (this.evaluating = false));
  }
}
