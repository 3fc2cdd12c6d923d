import type { CheckHealth, HealthChange, HealthSnapshot } from '../../interfaces/health-state.interface.js';
import type { EnvironReport } from '../../interfaces/probe.interface.js';
import { oneLine } from '../../util/text.js';
import { checkLevel, probeLevel } from './status.degraded.js';
import type { StatusJournal } from './status.journal.js';
import type { PageModel } from './status.page.js';
import type { StatusEntry, StatusLevel, StatusSource } from './status.source.js';
import type { CheckRow } from './status.view.js';

/** The probes the page shows (environ has no checks of its own to follow). */
const PROBES = ['readiness', 'liveliness', 'startup'] as const;
/** Transitions per row of the page's timeline. */
const TIMELINE = 5;

/**
 * Turns the state's changes into journal entries: a check's transition (its level before and after,
 * message under the details policy, duration), its probe's transition when the probe's level moved,
 * the rotation switch and the shutdown. Each entry is handed to `publish` with the check's row.
 */
export class StatusRecorder {
  private readonly probeLevels = new Map<string, StatusLevel>();
  private readonly checkLevels = new Map<string, StatusLevel>();
  private shutdownEntry: StatusEntry | null = null;
  /** Check entries journalled in this burst, published with their rows once it is over. */
  private readonly pending: StatusEntry[] = [];

  constructor(
    private readonly source: StatusSource,
    private readonly journal: StatusJournal,
    private readonly showMessages: boolean,
    private readonly publish: (entry: StatusEntry, row?: CheckRow) => void,
  ) {
    const snapshot = source.state();
    for (const probe of PROBES) this.probeLevels.set(probe, probeLevel(snapshot.probes[probe]));
  }

  onChange(change: HealthChange): void {
    if (change.probe === 'environ') return;
    const to = checkLevel(change);
    const key = `${change.probe}\u0000${change.check}`;
    const from = this.checkLevels.get(key) ?? checkLevel({ status: change.previous, degraded: false });
    this.checkLevels.set(key, to);
    const entry = this.journal.add({
      type: 'check',
      time: change.time,
      probe: change.probe,
      check: change.check,
      from,
      to,
      message: this.message(change.reason),
      durationMs: change.durationMs,
    });
    // Rows and probe levels are read from one snapshot per burst of changes (a probe of 2,000 checks
    // reports 2,000 first results at once), not one snapshot per change.
    if (this.pending.push(entry) === 1) queueMicrotask(() => this.flush());
  }

  private flush(): void {
    const entries = this.pending.splice(0);
    const snapshot = this.source.state();
    const byName = new Map<string, CheckHealth>();
    for (const probe of PROBES) {
      for (const check of snapshot.probes[probe].checks) byName.set(`${probe}\u0000${check.name}`, check);
    }
    for (const entry of entries) {
      const health = byName.get(`${entry.probe}\u0000${entry.check}`);
      this.publish(entry, health && this.rowOf(entry.probe!, health));
    }
    this.probeMoved(snapshot, entries[entries.length - 1].time);
  }

  onRotation(inRotation: boolean): void {
    const time = Date.now();
    if (this.source.isShuttingDown()) this.shutdown();
    else this.publish(this.journal.add({ type: 'rotation', time, inRotation }));
    this.probeMoved(this.source.state(), time);
  }

  /** Records the shutdown once (published then), whether `rotation$` or the app's close says it first. */
  shutdown(): void {
    if (this.shutdownEntry) return;
    this.shutdownEntry = this.journal.add({ type: 'shutdown', time: Date.now(), inRotation: false });
    this.publish(this.shutdownEntry);
  }

  /** The row a replayed check entry updates, as it stands now. */
  rowOfEntry(entry: StatusEntry): { row: CheckRow } | undefined {
    if (entry.type !== 'check' || entry.probe === undefined) return undefined;
    const probe = this.source.state().probes[entry.probe as (typeof PROBES)[number]];
    const health = probe?.checks.find((check) => check.name === entry.check);
    return health && { row: this.rowOf(entry.probe, health) };
  }

  /** What the page shows now. */
  pageModel(environ: EnvironReport | null | undefined): PageModel {
    const snapshot = this.source.state();
    return {
      time: snapshot.time,
      lastId: this.journal.lastId,
      rotation: snapshot.shuttingDown ? 'Shutting down' : snapshot.inRotation ? 'In rotation' : 'Out of rotation',
      probes: PROBES.map((probe) => ({
        probe,
        level: probeLevel(snapshot.probes[probe]),
        rows: snapshot.probes[probe].checks.map((check) => this.rowOf(probe, check)),
      })),
      environ,
    };
  }

  private probeMoved(snapshot: HealthSnapshot, time: number): void {
    for (const probe of PROBES) {
      const to = probeLevel(snapshot.probes[probe]);
      const from = this.probeLevels.get(probe)!;
      if (to === from) continue;
      this.probeLevels.set(probe, to);
      this.publish(this.journal.add({ type: 'probe', time, probe, from, to }));
    }
  }

  private rowOf(probe: string, check: CheckHealth): CheckRow {
    const streak = check.status === false ? check.consecutiveFailures : check.consecutiveSuccesses;
    return {
      probe,
      check: check.name,
      level: checkLevel(check),
      critical: check.critical,
      durationMs: check.durationMs,
      since: check.since,
      streak,
      message: this.message(check.reason),
      timeline: this.journal.recent(probe, check.name, TIMELINE).map(({ time, from, to }) => ({ time, from, to })),
    };
  }

  /** A message as probe bodies show it (`reason` is already under the details policy), never with `details: 'never'`. */
  private message(reason: string | undefined): string | undefined {
    return this.showMessages && reason !== undefined ? oneLine(reason) : undefined;
  }
}
