import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeartbeatManagementServer, HeartbeatModule, type HeartbeatModuleOptions } from '../../src/index.js';
import { createApp } from './app.js';

/** The three ways the probes are served: the app on each adapter, and the management port. */
export type TransportName = 'express' | 'fastify' | 'port';
export const TRANSPORTS: readonly TransportName[] = ['express', 'fastify', 'port'];

/** An app serving the probes on `transport`, and the base URL that reaches them. */
export interface Served {
  readonly app: INestApplication;
  readonly url: string;
}

/**
 * A generated app root for environ (a package.json and one installed library), so that no test reads
 * the machine's own node_modules. Removed by `removeEnvironRoot`.
 */
export function createEnvironRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'heartbeat-transports-'));
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0' }));
  mkdirSync(join(root, 'node_modules', '@nestjs', 'core'), { recursive: true });
  writeFileSync(
    join(root, 'node_modules', '@nestjs', 'core', 'package.json'),
    JSON.stringify({ name: '@nestjs/core', version: '12.0.0' }),
  );
  return root;
}

/** Removes a root made by `createEnvironRoot`. */
export function removeEnvironRoot(root: string): void {
  rmSync(root, { recursive: true, force: true });
}

/**
 * Boots `HeartbeatModule.forRoot(options)` (with `logger: false` unless given) and `metadata`, serving
 * the probes on `transport`: the app listening on 127.0.0.1, or the management port alone (on Express).
 * Give `environ: { root: createEnvironRoot() }` or `environ: false`, so that no test reads the machine's tree.
 */
export async function serve(
  transport: TransportName,
  options: HeartbeatModuleOptions = {},
  metadata: ModuleMetadata = {},
): Promise<Served> {
  const onPort = transport === 'port';
  const heartbeat = HeartbeatModule.forRoot({
    logger: false,
    ...options,
    ...(onPort ? { port: 0, serveOn: 'port' as const } : {}),
  });
  const app = await createApp(onPort ? 'express' : transport, {
    ...metadata,
    imports: [heartbeat, ...(metadata.imports ?? [])],
  });
  if (onPort) return { app, url: `http://127.0.0.1:${app.get(HeartbeatManagementServer).address()!.port}` };
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  return { app, url: `http://127.0.0.1:${port}` };
}

/** What a client saw of one response. */
export interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/**
 * Sends one request with node:http (fetch refuses methods such as TRACE, and adds an Accept header),
 * on a fresh connection, with only the headers given.
 */
export function send(url: string, method: string, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${path}`, { method, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
