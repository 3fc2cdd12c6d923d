import { Injectable } from '@nestjs/common';
import request from 'supertest';
import { HeartbeatModule, LivelinessProbe, ReadinessProbe } from '../src/index.js';
import { ADAPTERS, createApp } from './support/app.js';

@Injectable()
class Checks {
  @ReadinessProbe()
  @LivelinessProbe()
  database() {
    return ['database', true, { time: 1 }] as const;
  }
}

describe.each(ADAPTERS)('smoke (%s)', (adapter) => {
  it('serves readiness', async () => {
    const app = await createApp(adapter, { imports: [HeartbeatModule.forRoot({ logger: false })], providers: [Checks] });
    const res = await request(app.getHttpServer()).get('/.well-known/heartbeat/readiness');
    console.log(res.status, res.headers, res.text);
    const r2 = await request(app.getHttpServer()).get('/.well-known/heartbeat/environ');
    console.log(r2.status, r2.text.slice(0, 300));
    const r3 = await request(app.getHttpServer()).post('/.well-known/heartbeat/readiness');
    console.log(r3.status, r3.headers.allow, r3.text.slice(0, 300));
    await app.close();
  });
});
