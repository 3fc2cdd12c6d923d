import type { StatusEntry } from './status.source.js';

/** A journal entry and whether a cap has dropped it (the global order still holds it until compaction). */
interface Kept {
  readonly entry: StatusEntry;
  dropped: boolean;
}

/**
 * The bounded history: at most `perKey` entries per check (and per probe, and for the rotation
 * switch), at most `limit` in all, the oldest dropped first. Memory is flat under any number of
 * transitions and any number of names: a key whose entries are all dropped is forgotten.
 */
export class StatusJournal {
  private readonly byKey = new Map<string, Kept[]>();
  /** Every kept entry in the order it came, plus dropped ones until the next compaction. */
  private order: Kept[] = [];
  /** Where the oldest kept entry of `order` may be: everything before it is dropped. */
  private head = 0;
  private size = 0;
  private nextId = 1;

  constructor(
    private readonly perKey: number,
    private readonly limit: number,
  ) {}

  /** Adds an entry (its id given here) and returns it. */
  add(fields: Omit<StatusEntry, 'id'>): StatusEntry {
    const entry: StatusEntry = { id: this.nextId++, ...fields };
    const key = keyOf(entry);
    const kept: Kept = { entry, dropped: false };
    let list = this.byKey.get(key);
    if (!list) this.byKey.set(key, (list = []));
    list.push(kept);
    this.order.push(kept);
    this.size++;
    if (list.length > this.perKey) this.drop(list.shift()!);
    while (this.size > this.limit) this.dropOldest();
    // Dropped entries wait in `order` until they are as many as the kept ones: amortised O(1).
    if (this.order.length > 2 * this.size + 16) {
      this.order = this.order.slice(this.head).filter((item) => !item.dropped);
      this.head = 0;
    }
    return entry;
  }

  /** The id of the last entry added (0 before any). */
  get lastId(): number {
    return this.nextId - 1;
  }

  /** How many entries are kept. */
  get length(): number {
    return this.size;
  }

  /** The kept entries with an id above `after`, oldest first (what a resumed event stream missed). */
  since(after: number): StatusEntry[] {
    const found: StatusEntry[] = [];
    for (const item of this.order) if (!item.dropped && item.entry.id > after) found.push(item.entry);
    return found;
  }

  /** The kept entries, newest first; of one check (by name, on any probe) when `check` is given. */
  newestFirst(check?: string): StatusEntry[] {
    const found: StatusEntry[] = [];
    for (let i = this.order.length - 1; i >= 0; i--) {
      const item = this.order[i];
      if (!item.dropped && (check === undefined || item.entry.check === check)) found.push(item.entry);
    }
    return found;
  }

  /** The last `count` entries of one check, newest first (the page's timeline). */
  recent(probe: string, check: string, count: number): StatusEntry[] {
    const list = this.byKey.get(`check\u0000${probe}\u0000${check}`) ?? [];
    return list
      .slice(-count)
      .reverse()
      .map((item) => item.entry);
  }

  private dropOldest(): void {
    while (this.head < this.order.length && this.order[this.head].dropped) this.head++;
    const oldest = this.order[this.head];
    if (!oldest) return;
    // The oldest entry overall is the oldest of its key too.
    this.byKey.get(keyOf(oldest.entry))!.shift();
    this.drop(oldest);
  }

  private drop(item: Kept): void {
    item.dropped = true;
    this.size--;
    const key = keyOf(item.entry);
    if (this.byKey.get(key)?.length === 0) this.byKey.delete(key);
  }
}

/** Entries of one check, one probe, or the rotation switch share a key (and its cap). */
function keyOf(entry: StatusEntry): string {
  if (entry.type === 'check') return `check\u0000${entry.probe}\u0000${entry.check}`;
  if (entry.type === 'probe') return `probe\u0000${entry.probe}`;
  return 'rotation';
}
