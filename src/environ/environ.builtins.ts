import { join } from 'node:path';
import { ENVIRON_INVENTORY_EMPTY } from '../heartbeat.messages.js';
import type { ResolvedHeartbeatOptions } from '../heartbeat.options.js';
import type { LibraryReport } from '../interfaces/probe.interface.js';
import type { ProbeRegistry } from '../discovery/probe.registry.js';
import { defineKey } from '../util/define-key.js';
import { errorCode, type InventoryFs, nodeInventoryFs, readPackageJson } from './inventory-fs.js';
import type { PackageWalk } from './inventory-walk.js';
import { libraryEntry, type LibraryInventory, scanLibraries } from './library-inventory.js';

/** How long a request waits for an unfinished inventory: enough for a thousand packages, far below any timeout. */
export const INVENTORY_WAIT_MS = 1000;

/** What the `libraries` contributor adds to environ. */
export interface LibrariesData {
  libraries: Record<string, LibraryReport>;
  /** While unfinished, the packages read so far (first-found versions, no conflicts yet); then what was skipped or missing. */
  inventory?: { complete: false; packages: number } | { skipped: string[]; missing: string[] };
}

/** Starts the one-time library inventory (at bootstrap), and stops it if unfinished (at shutdown). */
export type InventoryControl = Pick<RunningInventory, 'start' | 'stop'>;

/** Registers the built-in environ contributors, in order: `libraries`, `node`, `runtime`, `app`, `env` if asked for. */
export function registerEnvironBuiltins(
  registry: ProbeRegistry,
  options: ResolvedHeartbeatOptions,
  deps: { fs?: InventoryFs; waitMs?: number } = {}, // tests replace node:fs and INVENTORY_WAIT_MS
): InventoryControl {
  const { root, env } = options.environ;
  const { fs = nodeInventoryFs, waitMs = INVENTORY_WAIT_MS } = deps;
  // An empty inventory is almost always a wrong root: one warning says so.
  const inventory = new RunningInventory(root, fs, (skipped) =>
    options.logger?.warn(ENVIRON_INVENTORY_EMPTY(root, skipped)),
  );
  let app: Promise<AppFacts> | null = null;
  const node = process.versions.node.split('.').map(Number);
  const add = (name: string, handler: () => unknown, timeoutMs?: number) => {
    const source = `heartbeat.${name}`;
    registry.add({ kind: 'environ', name, source, handler, options: { timeoutMs }, trusted: true });
  };

  // No runner timeout (0): the contributor bounds itself by the wait; a second timer racing it would
  // turn a slow inventory on a loaded machine into a failure.
  add('libraries', () => inventory.answer(waitMs), 0);
  add('node', () => ({ node }));
  const { version, platform, arch } = process;
  add('runtime', () => ({ runtime: { node: version, platform, arch, uptimeSeconds: Math.round(process.uptime()) } }));
  add('app', async () => ({ app: await (app ??= readApplication(fs, root)) }), 0);
  if (env.length > 0) {
    add('env', () => ({ env: Object.fromEntries(env.map((name) => [name, process.env[name] ?? null])) }));
  }
  return inventory;
}

/** The one-time library inventory, readable while it runs; the same object while nothing changed. */
export class RunningInventory {
  private started: Promise<LibrariesData> | null = null;
  private finished: LibrariesData | null = null;
  private walk: PackageWalk | null = null;
  private snapshot: { count: number; data: LibrariesData } | null = null;
  private readonly stopping = new AbortController();

  /** `onEmpty` hears of a finished inventory that found no library (with the number skipped). */
  constructor(
    private readonly root: string,
    private readonly fs?: InventoryFs,
    private readonly onEmpty?: (skipped: number) => void,
  ) {}

  /** Starts the inventory, once; resolves with the finished data and never rejects. */
  start(): Promise<LibrariesData> {
    this.started ??= scanLibraries(this.root, {
      fs: this.fs,
      onWalk: (walk) => (this.walk = walk),
      signal: this.stopping.signal,
    })
      .catch((error: unknown): LibraryInventory => {
        return { libraries: {}, skipped: [`.: inventory failed (${errorCode(error)})`], missing: [] };
      })
      .then(({ libraries, skipped, missing }) => {
        this.finished =
          skipped.length || missing.length ? { libraries, inventory: { skipped, missing } } : { libraries };
        this.walk = null;
        this.snapshot = null;
        if (!this.stopping.signal.aborted && Object.keys(libraries).length === 0) this.onEmpty?.(skipped.length);
        return this.finished;
      });
    return this.started;
  }

  /** Stops an unfinished inventory (the app is closing): no file operation starts after this. */
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

  private partial(): LibrariesData {
    const count = this.walk?.packages.length ?? 0;
    if (this.snapshot?.count === count) return this.snapshot.data;
    const libraries: Record<string, LibraryReport> = {};
    const found = this.walk?.versions ?? new Map<string, string[]>();
    for (const name of [...found.keys()].sort())
      defineKey(libraries, name, libraryEntry(found.get(name)![0], found.get(name)!, null));
    const data: LibrariesData = { libraries, inventory: { complete: false, packages: count } };
    this.snapshot = { count, data };
    return data;
  }
}

type AppFacts = { name: string | null; version: string | null };

/** The app's name and version, read with the inventory's care (inside the root, a regular file, capped). */
async function readApplication(fs: InventoryFs, root: string): Promise<AppFacts> {
  const realRoot = await fs.realpath(root).catch(() => root);
  const json = await readPackageJson(fs, join(realRoot, 'package.json'), realRoot);
  if (typeof json === 'string') return { name: null, version: null };
  const { name, version } = json as Record<string, unknown>;
  return { name: typeof name === 'string' ? name : null, version: typeof version === 'string' ? version : null };
}
