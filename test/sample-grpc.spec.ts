import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseService } from '../sample/src/database.service.js';
import { startGrpc } from '../sample/src/grpc.js';
import { freePort, healthClient } from './support/grpc-client.js';

/**
 * The sample as k8s/deployment-grpc.yaml runs it: GRPC_PORT makes it a hybrid app whose gRPC
 * microservice answers the kubelet's grpc: probes. A file of its own: the sample's module reads
 * GRPC_PORT when it is first imported, and each test file imports its modules afresh.
 */
describe('the sample as a gRPC microservice (GRPC_PORT)', () => {
  let app: INestApplication | undefined;
  let client: ReturnType<typeof healthClient> | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'heartbeat-sample-grpc-'));

  beforeAll(async () => {
    process.env.DATA_DIR = dataDir;
    process.env.GRPC_PORT = '0';
    const { AppModule } = await import('../sample/src/app.module.js');
    for (let attempt = 1; ; attempt++) {
      const url = `127.0.0.1:${await freePort()}`;
      const created = await NestFactory.create(AppModule, { logger: false });
      try {
        await startGrpc(created, url);
      } catch (error) {
        await created.close();
        // The port was taken between freePort() and the bind: try another.
        if (attempt < 3) continue;
        throw error;
      }
      app = created;
      client = healthClient(url);
      break;
    }
  });
  afterAll(async () => {
    client?.close();
    await app?.close();
    delete process.env.DATA_DIR;
    delete process.env.GRPC_PORT;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers grpc.health.v1.Health on its own gRPC port from its probes', async () => {
    expect(await client!.check('readiness')).toBe('SERVING');
    expect(await client!.check('')).toBe('SERVING');
    expect(await client!.check('liveness')).toBe('SERVING');
    expect(await client!.check('startup')).toBe('SERVING');
    expect(await client!.check('orders')).toBe('NOT_FOUND');
  });

  it('is NOT_SERVING for readiness once its database is closed, and still alive', async () => {
    app!.get(DatabaseService).db.close();
    expect(await client!.check('readiness')).toBe('NOT_SERVING');
    expect(await client!.check('')).toBe('NOT_SERVING');
    expect(await client!.check('liveness')).toBe('SERVING');
  });
});
