import { Subject } from 'rxjs';
import type { CheckHealth, HealthChange, HealthSnapshot } from '../src/interfaces/health-state.interface.js';
import { isDegraded } from '../src/state/check-outcome.js';
import { StatusJournal } from '../src/observers/status/status.journal.js';
import { StatusRecorder } from '../src/observers/status/status.recorder.js';
import type { StatusSource } from '../src/observers/status/status.source.js';
import { heapAfterGc, medianSlope } from './support/heap.js';

function checkHealth(name: string, status: boolean | null, critical = true, data = {}): CheckHealth {
  return {
    name,
    source: 'test',
    status,
    critical,
    degraded: status === false ? !critical : (data as { degraded?: unknown }).degraded === true,
    data,
    durationMs: 1,
    checkedAt: 0,
    since: 0,
    consecutiveFailures: status === false ? 1 : 0,
    consecutiveSuccesses: status ? 1 : 0,
    lastResult: null,
    mode: 'request',
    intervalMs: 0,
    failureThreshold: 1,
    successThreshold: 1,
    stale: false,
  };
}

/** A source whose state is the last status each check was given. */
function fakeSource() {
  const changes$ = new Subject<HealthChange>();
  const statuses = new Map<string, boolean>();
  const source: StatusSource = {
    changes$,
    rotation$: new Subject<boolean>(),
    isShuttingDown: () => false,
    environ: () => Promise.reject(new Error('unused')),
    state(): HealthSnapshot {
      const checks = [...statuses].map(([name, status]) => checkHealth(name, status));
      const probe = { status: checks.every((check) => check.status), degraded: false, checks };
      const empty = { status: true, degraded: false, checks: [] };
      return {
        time: 0,
        shuttingDown: false,
        inRotation: true,
        probes: { readiness: probe, liveliness: empty, startup: empty, environ: empty },
      };
    },
  };
  const flip = (check: string, status: boolean, time: number) => {
    const previous = statuses.get(check) ?? null;
    statuses.set(check, status);
    changes$.next({
      probe: 'readiness',
      check,
      source: 'test',
      status,
      degraded: false,
      previous,
      time,
      durationMs: 1,
      reason: status ? undefined : 'x'.repeat(300),
    });
  };
  return { source, flip };
}

describe('status journal', () => {
  it('keeps at most historySize transitions per check and historyLimit in all, newest first', () => {
    const journal = new StatusJournal(3, 10);
    for (let i = 0; i < 20; i++) journal.add({ type: 'check', time: i, probe: 'readiness', check: `c${i % 2}` });
    expect(journal.length).toBe(6);
    expect(journal.newestFirst('c0').map((entry) => entry.time)).toEqual([18, 16, 14]);
    for (let i = 0; i < 50; i++) journal.add({ type: 'check', time: 100 + i, probe: 'readiness', check: `n${i}` });
    expect(journal.length).toBe(10);
    expect(journal.newestFirst().map((entry) => entry.time)).toEqual([
      149, 148, 147, 146, 145, 144, 143, 142, 141, 140,
    ]);
    expect(journal.since(journal.lastId - 2).map((entry) => entry.time)).toEqual([148, 149]);
  });

  it('stays flat in memory under 100k flips', async () => {
    const { source, flip } = fakeSource();
    const journal = new StatusJournal(50, 5000);
    let published = 0;
    const recorder = new StatusRecorder(source, journal, true, () => published++);
    const subscription = source.changes$.subscribe((change) => recorder.onChange(change));
    const readings: number[] = [];
    let time = 0;
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 10_000; i++) flip(`check-${i % 200}`, (time & 1) === 0, time++);
      await Promise.resolve(); // the burst is published once it is over
      readings.push(heapAfterGc());
    }
    subscription.unsubscribe();
    expect(published).toBeGreaterThanOrEqual(100_000);
    // A leak of one small entry per flip would be ~100 bytes per flip, ~1 MB per reading.
    expect(medianSlope(readings.slice(2))).toBeLessThan(100_000);
    expect(journal.length).toBeLessThanOrEqual(5000);
  }, 60_000); // 100k flips and ten full collections: seconds alone, far more beside the whole suite

  it('forgets names whose entries are all dropped: thousands of names stay within historyLimit', () => {
    const journal = new StatusJournal(50, 1000);
    const before = heapAfterGc();
    for (let i = 0; i < 100_000; i++)
      journal.add({ type: 'check', time: i, probe: 'readiness', check: `name-${i}-${'x'.repeat(100)}` });
    expect(journal.length).toBe(1000);
    expect(journal.newestFirst()[999].time).toBe(99_000);
    // 1000 entries of ~200 bytes; 100k kept would be ~20 MB.
    expect(heapAfterGc() - before).toBeLessThan(5_000_000);
  });

  it('calls degraded a failing non-critical check, or a passing one whose result says so', () => {
    const outcome = (status: boolean, data = {}, indicator?: 'degraded') => ({
      name: 'a',
      status,
      data,
      ...(indicator ? { indicator: { status: indicator, statusFirst: true } } : {}),
    });
    expect(isDegraded(outcome(false), false)).toBe(true);
    expect(isDegraded(outcome(false), true)).toBe(false);
    expect(isDegraded(outcome(true, {}, 'degraded'))).toBe(true);
    expect(isDegraded(outcome(true, { degraded: true }))).toBe(true);
    expect(isDegraded(outcome(true))).toBe(false);
  });
});
