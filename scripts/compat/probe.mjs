// Starts a built consumer app as `npm run start:prod` would (node dist/main), on a free port and
// the chosen adapter, and GETs its probes over real HTTP.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { join } from 'node:path';

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });

/**
 * `{ summary }` when readiness, liveliness and environ answered as expected, else `{ problem }`.
 * The ports are picked free, then bound by the app: another app started meanwhile (they run in
 * parallel) can take one first. An app that exits on EADDRINUSE is started again on new ports, up
 * to three times in all; any other failure is reported at once.
 */
export async function startAndProbe(options) {
  for (let attempt = 1; ; attempt++) {
    const result = await startOnce(options);
    if (attempt === 3 || !result.portTaken) return result;
  }
}

async function startOnce({ node, dir, adapter, app, env, terminus = false }) {
  const [port, grpcPort, grpcAppPort] = [await freePort(), await freePort(), await freePort()];
  const child = spawn(node, ['dist/main'], {
    cwd: dir,
    env: {
      ...process.env,
      ...env,
      PORT: String(port),
      HTTP_ADAPTER: adapter,
      GRPC_PORT: String(grpcPort),
      GRPC_APP_PORT: String(grpcAppPort),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}/.well-known/heartbeat/`;
  try {
    const deadline = Date.now() + 20_000;
    let readiness;
    while (!readiness) {
      if (child.exitCode !== null) {
        const portTaken = stderr.includes('EADDRINUSE');
        return { problem: `${adapter}: the app exited with ${child.exitCode}\n${stderr}`, portTaken };
      }
      if (Date.now() > deadline) return { problem: `${adapter}: no answer on port ${port} within 20 s\n${stderr}` };
      readiness = await fetch(url + 'readiness').catch(() => new Promise((resolve) => setTimeout(resolve, 100)));
    }
    const expected = JSON.stringify({ status: true, checks: { database: { status: true, app } } });
    const got = {};
    for (const [probe, response] of [
      ['readiness', readiness],
      ['liveliness', await fetch(url + 'liveliness')],
    ]) {
      got[probe] = { status: response.status, type: response.headers.get('content-type'), body: await response.json() };
    }
    // environ answers what is known while the one-time inventory runs: ask until it is complete.
    do {
      const response = await fetch(url + 'environ');
      got.environ = { status: response.status, body: await response.json() };
    } while (got.environ.body.inventory?.complete === false && Date.now() < deadline);
    for (const probe of ['readiness', 'liveliness']) {
      const { status, type, body } = got[probe];
      if (status !== 200 || type !== 'application/json; charset=utf-8' || JSON.stringify(body) !== expected) {
        return { problem: `${adapter}: GET ${probe} -> ${status} ${type} ${JSON.stringify(body)}` };
      }
    }
    const environ = got.environ.body;
    const core = environ.libraries?.['@nestjs/core']?.version;
    if (got.environ.status !== 200 || environ.app !== app || !core || !Array.isArray(environ.node)) {
      return { problem: `${adapter}: GET environ -> ${got.environ.status} ${JSON.stringify(environ).slice(0, 300)}` };
    }
    // Every dependency of the app is installed (in a workspace, hoisted or in pnpm's store): none may be missing.
    const { missing = [], complete } = environ.inventory ?? {};
    if (complete === false || missing.length > 0) {
      return { problem: `${adapter}: environ inventory ${JSON.stringify(environ.inventory).slice(0, 300)}` };
    }
    // The metrics, through prom-client from the app's own node_modules (OpenTelemetry is on too, on the
    // global meter provider, which is a no-op here: it must not get in the way).
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const line = 'heartbeat_check_status{probe="readiness",check="database"} 1';
    if (!metrics.split('\n').includes(line)) {
      return { problem: `${adapter}: GET /metrics has no "${line}":\n${metrics.slice(0, 300)}` };
    }
    if (terminus) {
      // terminus 11 indicators through our startup checks, in terminus's own body.
      const response = await fetch(url + 'startup?format=terminus');
      const entries = { memory_heap: { status: 'up' }, dogs: { status: 'up', goodboys: 1 } };
      const expected = JSON.stringify({ status: 'ok', info: entries, error: {}, details: entries });
      const body = await response.text();
      if (response.status !== 200 || body !== expected) {
        return { problem: `${adapter}: GET startup?format=terminus -> ${response.status} ${body.slice(0, 300)}` };
      }
    }
    const grpc = await grpcChecks(dir, { standalone: grpcPort, hybrid: grpcAppPort });
    if (grpc) return { problem: `${adapter}: ${grpc}` };
    return {
      summary: `${adapter} answers (gRPC Check on grpcPort and in the hybrid app's gRPC server; environ: @nestjs/core ${core}, nothing missing; metrics${terminus ? '; terminus 11 indicators' : ''})`,
    };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

/**
 * `grpc.health.v1.Health/Check` with a real @grpc/grpc-js client (the app's own copy) on the module's
 * standalone port and on the hybrid app's gRPC server: `""` and `liveness` SERVING, an unknown
 * service NOT_FOUND. Returns a problem, or `null`.
 */
async function grpcChecks(dir, ports) {
  const require = createRequire(join(dir, 'package.json'));
  const grpc = require('@grpc/grpc-js');
  const { service } = require('grpc-health-check');
  const Health = grpc.makeClientConstructor(service, 'grpc.health.v1.Health');
  for (const [where, port] of Object.entries(ports)) {
    const client = new Health(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      for (const [name, expected] of [
        ['', 'SERVING'],
        ['liveness', 'SERVING'],
        ['nope', 'NOT_FOUND'],
      ]) {
        const got = await new Promise((resolve) =>
          client.check({ service: name }, { deadline: Date.now() + 10_000 }, (error, reply) =>
            resolve(error ? grpc.status[error.code] : reply.status),
          ),
        );
        if (got !== expected) return `gRPC Check "${name}" on the ${where} port -> ${got}, expected ${expected}`;
      }
    } finally {
      client.close();
    }
  }
  return null;
}
