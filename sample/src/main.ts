import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { startGrpc } from './grpc.js';

async function bootstrap() {
  const app = await NestFactory.create(AppModule);
  app.enableShutdownHooks();
  // k8s/deployment-grpc.yaml: also a gRPC microservice, whose server answers grpc: probes.
  if (process.env.GRPC_PORT) await startGrpc(app, `0.0.0.0:${process.env.GRPC_PORT}`);
  const port = Number(process.env.PORT ?? 3000);
  await app.listen(port, process.env.HOST ?? '0.0.0.0');
  const base = `http://127.0.0.1:${port}/.well-known/heartbeat`;
  console.log(`nestjs-heartbeat sample listening on port ${port}. Try:`);
  for (const probe of ['readiness', 'liveliness', 'startup', 'environ']) console.log(`  curl -i ${base}/${probe}`);
}

void bootstrap();
