import type { CheckResult } from './check-result.js';

/**
 * One run of a probe's checks: the results known at once are filled in when it starts, those of
 * pending calls as they settle or time out, and `promise` resolves once every one is in. One object
 * and one promise per run, rather than a promise per check and `Promise.all` over them: with the
 * arming of timeouts in `pending-call.ts`, that took 36.2 µs of server CPU per Fastify readiness
 * request of three async checks down to 32.5 in an A/B of the bench's servers (README, Benchmarks).
 */
export class ProbeRun {
  readonly results: CheckResult[];
  /** How many results are still awaited. */
  remaining = 0;
  /** Where the run is shared while it is under way (the runner's runs in flight), and under which key. */
  private sharedIn: Map<string, ProbeRun> | null = null;
  private key = '';
  private resolve: ((results: readonly CheckResult[]) => void) | null = null;
  private done: Promise<readonly CheckResult[]> | null = null;

  constructor(size: number) {
    this.results = new Array<CheckResult>(size);
  }

  /** The results, once every one is in. */
  get promise(): Promise<readonly CheckResult[]> {
    if (this.remaining === 0) return (this.done ??= Promise.resolve(this.results));
    return (this.done ??= new Promise((resolve) => (this.resolve = resolve)));
  }

  /** Shares the run in `inFlight` under `key` until its last result is in: no closure per run. */
  share(inFlight: Map<string, ProbeRun>, key: string): void {
    inFlight.set(key, this);
    this.sharedIn = inFlight;
    this.key = key;
  }

  /** Puts in the result of check `index`, known when the run starts. */
  put(index: number, result: CheckResult): void {
    this.results[index] = result;
  }

  /** Puts in the result of check `index` that was awaited; the last one ends the run. */
  deliver(index: number, result: CheckResult): void {
    this.results[index] = result;
    if (--this.remaining > 0) return;
    const inFlight = this.sharedIn;
    if (inFlight !== null && inFlight.get(this.key) === this) inFlight.delete(this.key);
    this.resolve?.(this.results);
  }
}
