import { Subscription } from 'rxjs';
import { TESTING_BAD_TIMEOUT, TESTING_UNTIL_CLOSED, TESTING_UNTIL_TIMED_OUT } from '../heartbeat.messages.js';
import { probe, type ProbeBody, type ProbeResult } from './probe.js';
import { answerLine } from './expect-probe.js';
import { probeKindOf, serviceOf, type TestedApp, type TestedProbe } from './testing-app.js';

/** How long `untilProbe` waits, and for what. */
export interface UntilProbeOptions {
  /** How long to wait before failing with the probe's last answer; default 5000 ms (of fake time under fake timers). */
  readonly timeoutMs?: number;
  /** Wait for this one check alone to pass or fail. */
  readonly check?: string;
}

const DEFAULT_TIMEOUT_MS = 5000;

/**
 * Waits until the probe (or its one `check`) passes or fails, and answers that probe's result. It
 * asks the probe once at once, then again each time a check of that probe changes status
 * (`HeartbeatService.changes$`): no polling. Something must run the checks meanwhile: background
 * checks run by themselves (advance fake timers past their interval), checks that run on each
 * probe run when a probe is asked. Fails after `timeoutMs` with the probe's last answer.
 */
export function untilProbe<K extends TestedProbe>(
  app: TestedApp,
  kind: K,
  want: 'pass' | 'fail',
  options: UntilProbeOptions = {},
): Promise<ProbeResult<ProbeBody<K, 'json'>>> {
  type Result = ProbeResult<ProbeBody<K, 'json'>>;
  const probeKind = probeKindOf(kind);
  const service = serviceOf(app, 'untilProbe');
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (typeof timeoutMs !== 'number' || !(timeoutMs > 0)) throw new Error(TESTING_BAD_TIMEOUT(timeoutMs));
  const { check } = options;
  const matches = (result: Result): boolean => {
    const passed = check === undefined ? result.passed : result.checks[check]?.status === true;
    return passed === (want === 'pass');
  };
  return new Promise<Result>((resolve, reject) => {
    let done = false;
    let asking = false;
    let again = false;
    let last: Result | undefined;
    // One subscription made first: `end` may run while `changes$` is being subscribed to (an app already closed).
    const subscription = new Subscription();
    const end = (): void => {
      done = true;
      clearTimeout(timer);
      subscription.unsubscribe();
    };
    const ask = async (): Promise<void> => {
      if (asking) {
        again = true;
        return;
      }
      asking = true;
      try {
        do {
          again = false;
          last = await probe(app, kind, check === undefined ? {} : { check });
          if (done) return;
          if (matches(last)) {
            end();
            resolve(last);
            return;
          }
        } while (again);
      } catch (error) {
        if (!done) {
          end();
          reject(error);
        }
      } finally {
        asking = false;
      }
    };
    const timer = setTimeout(() => {
      if (done) return;
      end();
      reject(new Error(TESTING_UNTIL_TIMED_OUT(probeKind, want, timeoutMs, last ? answerLine(last) : 'nothing yet')));
    }, timeoutMs);
    const changes = service.changes$.subscribe({
      next: (change) => {
        if (!done && change.probe === probeKind) void ask();
      },
      complete: () => {
        if (done) return;
        end();
        reject(new Error(TESTING_UNTIL_CLOSED(probeKind, want)));
      },
    });
    // Added to a subscription that `end` has closed already, it is ended at once.
    subscription.add(changes);
    if (!done) void ask();
  });
}
