import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';

async function bootstrap() {
  const app = await NestFactory.create(AppModule);
  app.enableShutdownHooks();
  const port = Number(process.env.PORT ?? 3000);
  await app.listen(port, process.env.HOST ?? '0.0.0.0');
  const base = `http://127.0.0.1:${port}/.well-known/heartbeat`;
  console.log(`nestjs-heartbeat sample listening on port ${port}. Try:`);
  for (const probe of ['readiness', 'liveliness', 'startup', 'environ']) console.log(`  curl -i ${base}/${probe}`);
}

void bootstrap();
