import type { LibraryReport } from '../interfaces/probe.interface.js';
import { defineKey } from '../util/define-key.js';
import { errorCode, type InventoryFs } from './inventory-fs.js';
import type { Installed } from './inventory-walk.js';
import { type LibraryInventory, scanLibraries, semverOrder } from './library-inventory.js';

/**
 * How long an environ request waits for an unfinished inventory before it answers what is known so
 * far: long enough that the first request after boot usually gets the finished inventory (a few
 * hundred milliseconds for a thousand packages), short enough to stay far below any timeout.
 */
export const INVENTORY_WAIT_MS = 1000;

/** What the `libraries` contributor adds to environ. */
export interface LibrariesData {
  libraries: Record<string, LibraryReport>;
  /**
   * Present when something was skipped or missing, or while the inventory is not finished: then
   * `complete` is false, `packages` counts the packages read so far and `libraries` holds them with
   * the version found first (the shallowest) and no conflicts checked yet.
   */
  inventory?: { complete: false; packages: number } | { skipped: string[]; missing: string[] };
}

/**
 * The one-time library inventory of an app, readable while it runs: the finished data once it has
 * finished (the same object every time, so its JSON is made once), else a snapshot of the packages
 * found so far (the same object while nothing new was found).
 */
export class RunningInventory {
  private started: Promise<LibrariesData> | null = null;
  private finished: LibrariesData | null = null;
  private readonly found = new Map<string, string[]>();
  private count = 0;
  private snapshot: { count: number; data: LibrariesData } | null = null;
  private readonly stopping = new AbortController();

  constructor(
    private readonly root: string,
    private readonly fs?: InventoryFs,
  ) {}

  /** Starts the inventory, once; resolves with the finished data and never rejects. */
  start(): Promise<LibrariesData> {
    this.started ??= scanLibraries(this.root, {
      fs: this.fs,
      onPackage: (installed) => this.record(installed),
      signal: this.stopping.signal,
    })
      .catch((error: unknown): LibraryInventory => {
        return { libraries: {}, skipped: [`.: inventory failed (${errorCode(error)})`], missing: [] };
      })
      .then(({ libraries, skipped, missing }) => {
        this.finished =
          skipped.length || missing.length ? { libraries, inventory: { skipped, missing } } : { libraries };
        this.found.clear();
        this.snapshot = null;
        return this.finished;
      });
    return this.started;
  }

  /**
   * Stops an unfinished inventory (the app is closing): no file operation starts after this, so a
   * closed app leaves no walk behind it. A finished inventory is kept.
   */
  stop(): void {
    this.stopping.abort(new DOMException('the app is shutting down', 'AbortError'));
  }

  /** The data now, after waiting at most `waitMs` for the inventory to finish. */
  async answer(waitMs: number): Promise<LibrariesData> {
    const finished = this.start();
    if (!this.finished && waitMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<void>((resume) => (timer = setTimeout(resume, waitMs).unref()));
      await Promise.race([finished, waited]);
      clearTimeout(timer);
    }
    return this.finished ?? this.partial();
  }

  private record({ manifest }: Installed): void {
    const versions = this.found.get(manifest.name);
    if (!versions) this.found.set(manifest.name, [manifest.version]);
    else if (!versions.includes(manifest.version)) versions.push(manifest.version);
    this.count++;
  }

  private partial(): LibrariesData {
    if (this.snapshot?.count === this.count) return this.snapshot.data;
    const libraries: Record<string, LibraryReport> = {};
    for (const name of [...this.found.keys()].sort()) {
      const versions = this.found.get(name)!;
      const entry: LibraryReport = { version: versions[0], conflicts: null };
      if (versions.length > 1) entry.versions = [...versions].sort(semverOrder);
      defineKey(libraries, name, entry);
    }
    const data: LibrariesData = { libraries, inventory: { complete: false, packages: this.count } };
    this.snapshot = { count: this.count, data };
    return data;
  }
}
