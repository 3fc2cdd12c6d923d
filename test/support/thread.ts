import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { existsSync } from 'node:fs';
import { get as httpGet, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { HeartbeatManagementServer } from '../../src/index.js';
import { HEARTBEAT_THREAD_WORKER, type ThreadWorkerSource } from '../../src/transport/thread.setup.js';

/**
 * The worker's built file. The tests run the module from its TypeScript source, but a worker thread
 * needs JavaScript: it loads the build (`npm test` builds first, in `pretest`).
 */
export const WORKER_ENTRY = join(process.cwd(), 'dist', 'transport', 'heartbeat.worker.js');

/** Boots an Express app of `metadata` whose `thread: true` loads its worker from `source`. */
export async function createThreadApp(
  metadata: ModuleMetadata,
  source: ThreadWorkerSource = { entry: WORKER_ENTRY },
): Promise<INestApplication> {
  if (source.entry === WORKER_ENTRY && !existsSync(WORKER_ENTRY)) throw new Error('Run `npm run build` first');
  const moduleRef = await Test.createTestingModule(metadata)
    .overrideProvider(HEARTBEAT_THREAD_WORKER)
    .useValue(source)
    .compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}

/** A response as a client sees it. */
export interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** One GET (or `method`) to `port` on 127.0.0.1, without keep-alive, as the kubelet asks. */
export function probe(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = httpGet({ host: '127.0.0.1', port, path, method, headers, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body }));
    });
    request.on('error', reject);
  });
}

/** The management port of `app`. */
export function portOf(app: INestApplication): number {
  return app.get(HeartbeatManagementServer).address()!.port;
}

/** Asks `ask` again every 20 ms until its answer satisfies `done`: waits for a state, bounded by the test's timeout. */
export async function until<T>(ask: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await ask();
    if (done(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A body without the key the worker adds (`mainThread`), for comparing with the main-thread port. */
export function withoutMainThread(body: string): string {
  const { mainThread: _, ...rest } = JSON.parse(body) as Record<string, unknown>;
  return JSON.stringify(rest);
}
