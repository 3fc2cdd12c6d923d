import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ResolvedHeartbeatOptions } from '../heartbeat.options.js';
import type { ProbeRegistry } from '../probe.registry.js';
import { type LibraryInventory, scanLibraries } from './library-inventory.js';

/** The inventory may take a while on a large tree the first time; later requests are served from memory. */
const INVENTORY_TIMEOUT_MS = 5000;

/**
 * Registers the built-in environ contributors, in this order: `libraries` (with `inventory` when
 * something was skipped or missing), `node`, `runtime`, `app` and, when asked for, `env`.
 * Returns a function that starts the one-time inventory (called at bootstrap).
 */
export function registerEnvironBuiltins(
  registry: ProbeRegistry,
  options: ResolvedHeartbeatOptions,
): () => Promise<unknown> {
  const { root, env } = options.environ;
  // Made once, and the same data object on every call, so the runner sees an unchanged outcome and
  // the environ body reuses its JSON.
  let inventory: Promise<Record<string, unknown>> | null = null;
  const scan = () =>
    (inventory ??= scanLibraries(root)
      .catch((error: Error): LibraryInventory => ({ libraries: {}, skipped: [`.: ${error.message}`], missing: [] }))
      .then(({ libraries, skipped, missing }) =>
        skipped.length || missing.length ? { libraries, inventory: { skipped, missing } } : { libraries },
      ));
  let app: Promise<{ name: string | null; version: string | null }> | null = null;
  const readApp = () => (app ??= readApplication(root));
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

  add('libraries', scan, Math.max(INVENTORY_TIMEOUT_MS, options.timeoutMs));
  add('node', () => ({ node }));
  add('runtime', () => ({
    runtime: {
      node: process.version,
      platform: process.platform,
      arch: process.arch,
      uptimeSeconds: Math.round(process.uptime()),
    },
  }));
  add('app', async () => ({ app: await readApp() }));
  if (env.length > 0) {
    add('env', () => ({ env: Object.fromEntries(env.map((name) => [name, process.env[name] ?? null])) }));
  }
  return scan;
}

async function readApplication(root: string): Promise<{ name: string | null; version: string | null }> {
  try {
    const { name, version } = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
    return { name: typeof name === 'string' ? name : null, version: typeof version === 'string' ? version : null };
  } catch {
    return { name: null, version: null };
  }
}
