import { join } from 'node:path';
import { ENVIRON_INVENTORY_EMPTY } from '../heartbeat.messages.js';
import type { ResolvedHeartbeatOptions } from '../heartbeat.options.js';
import type { ProbeRegistry } from '../discovery/probe.registry.js';
import { type InventoryFs, nodeInventoryFs } from './inventory-fs.js';
import { INVENTORY_WAIT_MS, RunningInventory } from './inventory-progress.js';
import { readPackageJson } from './package-manifest.js';

/** What tests replace in the built-in contributors. */
export interface EnvironBuiltinsDeps {
  /** The file system, node:fs by default (the inventory limits how much of it runs at once). */
  fs?: InventoryFs;
  /** How long a request waits for an unfinished inventory; INVENTORY_WAIT_MS by default. */
  waitMs?: number;
}

/** Starts the one-time library inventory (at bootstrap), and stops it if unfinished (at shutdown). */
export interface InventoryControl {
  start(): Promise<unknown>;
  stop(): void;
}

/**
 * Registers the built-in environ contributors, in this order: `libraries` (with `inventory` when
 * something was skipped or missing, or while the inventory is not finished), `node`, `runtime`,
 * `app` and, when asked for, `env`. Returns what starts and stops the one-time inventory.
 */
export function registerEnvironBuiltins(
  registry: ProbeRegistry,
  options: ResolvedHeartbeatOptions,
  deps: EnvironBuiltinsDeps = {},
): InventoryControl {
  const { root, env } = options.environ;
  const fs = deps.fs ?? nodeInventoryFs;
  const waitMs = deps.waitMs ?? INVENTORY_WAIT_MS;
  const inventory = new RunningInventory(root, fs);
  let app: Promise<{ name: string | null; version: string | null }> | null = null;
  const node = process.versions.node.split('.').map(Number);

  const add = (name: string, handler: () => unknown, timeoutMs?: number) =>
    registry.add({
      kind: 'environ',
      name,
      source: `heartbeat.${name}`,
      handler,
      options: { timeoutMs },
      trusted: true,
    });

  // No timeout of the runner's (0): the contributor bounds itself by the wait and then answers what it
  // has. A second timer racing the wait would, on a loaded machine, turn a slow inventory into a failure.
  add('libraries', () => inventory.answer(waitMs), 0);
  add('node', () => ({ node }));
  add('runtime', () => ({
    runtime: {
      node: process.version,
      platform: process.platform,
      arch: process.arch,
      uptimeSeconds: Math.round(process.uptime()),
    },
  }));
  // Read once, with the inventory's care; no runner timeout of its own, like `libraries`.
  add('app', async () => ({ app: await (app ??= readApplication(fs, root)) }), 0);
  if (env.length > 0) {
    add('env', () => ({ env: Object.fromEntries(env.map((name) => [name, process.env[name] ?? null])) }));
  }
  let stopped = false;
  let started: Promise<unknown> | null = null;
  return {
    // An empty inventory is almost always a wrong root (the process started from another folder):
    // one warning says so, where an empty `libraries` alone would go unnoticed.
    start: () =>
      (started ??= inventory.start().then((data) => {
        if (!stopped && Object.keys(data.libraries).length === 0) {
          const skipped = data.inventory && 'skipped' in data.inventory ? data.inventory.skipped.length : 0;
          options.logger?.warn(ENVIRON_INVENTORY_EMPTY(root, skipped));
        }
        return data;
      })),
    stop: () => {
      stopped = true;
      inventory.stop();
    },
  };
}

/** The app's name and version, read with the inventory's care (inside the root, a regular file, capped). */
async function readApplication(
  fs: InventoryFs,
  root: string,
): Promise<{ name: string | null; version: string | null }> {
  const realRoot = await fs.realpath(root).catch(() => root);
  const json = await readPackageJson(fs, join(realRoot, 'package.json'), realRoot);
  if (typeof json === 'string') return { name: null, version: null };
  const { name, version } = json as Record<string, unknown>;
  return { name: typeof name === 'string' ? name : null, version: typeof version === 'string' ? version : null };
}
