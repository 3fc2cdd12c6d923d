import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './grpc-client.js';

/*
 * Real servers for the client and transport checks, started from the Debian binaries on a loopback
 * port with their own data folder in a temp dir (never the system service), stopped and started
 * again by the tests, removed in afterAll.
 */

/** A server the test can stop and start again on the same port. */
export interface TestServer {
  readonly port: number;
  /** Stops it (the port refuses connections when this resolves). */
  stop(): Promise<void>;
  /** Starts it again on the same port (it accepts connections when this resolves). */
  start(): Promise<void>;
  /** Stops it and removes its folder. */
  close(): Promise<void>;
}

/** Waits until `port` accepts (or, `open` false, refuses) TCP connections; polling, with a generous limit. */
export async function portState(port: number, open: boolean, limitMs = 60_000): Promise<void> {
  const started = Date.now();
  while ((await accepts(port)) !== open) {
    if (Date.now() - started > limitMs)
      throw new Error(`port ${port} still ${open ? 'closed' : 'open'} after ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/** A server that is one child process: stopped with SIGTERM (then SIGKILL), started by spawning it again. */
async function processServer(dir: string, port: number, command: string, args: readonly string[]): Promise<TestServer> {
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(command, args, { cwd: dir, stdio: 'ignore' });
    await portState(port, true);
  };
  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGTERM');
    const timer = setTimeout(() => running.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    await portState(port, false);
  };
  await start();
  return { port, start, stop, close: async () => (await stop(), rmSync(dir, { recursive: true, force: true })) };
}

/** `redis-server` without persistence. */
export async function startRedis(): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'hb-redis-'));
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
  return processServer(dir, port, 'redis-server', args);
}

/** `nats-server` on loopback. */
export async function startNats(): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'hb-nats-'));
  const port = await freePort();
  return processServer(dir, port, 'nats-server', ['-a', '127.0.0.1', '-p', String(port)]);
}

/** `mosquitto` with one anonymous loopback listener. */
export async function startMosquitto(): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'hb-mqtt-'));
  const port = await freePort();
  writeFileSync(join(dir, 'mosquitto.conf'), `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
  return processServer(dir, port, 'mosquitto', ['-c', join(dir, 'mosquitto.conf')]);
}

/** The newest PostgreSQL's binaries that Debian installed. */
function postgresBin(): string {
  const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
  if (versions.length === 0) throw new Error('PostgreSQL is not installed (/usr/lib/postgresql is empty)');
  return join('/usr/lib/postgresql', versions[0], 'bin');
}

/** A PostgreSQL cluster (trust auth, user `postgres`) made by initdb; run as `postgres` when the tests run as root. */
export async function startPostgres(): Promise<TestServer & { acceptedConnections(): number }> {
  const bin = postgresBin();
  const dir = mkdtempSync(join(tmpdir(), 'hb-pg-'));
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    // PostgreSQL refuses to run as root: its folder belongs to the `postgres` user Debian's package made.
    chownSync(dir, Number(execFileSync('id', ['-u', 'postgres'])), Number(execFileSync('id', ['-g', 'postgres'])));
  }
  const run = (tool: string, args: string[]) => {
    const [command, all] = asRoot
      ? ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]]
      : [join(bin, tool), args];
    execFileSync(command as string, all as string[], { stdio: 'ignore', cwd: dir });
  };
  const data = join(dir, 'data');
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  // log_connections: the tests count the connections the server accepted in its log.
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c log_connections=on`;
  const start = async () => {
    run('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', 'start']);
    await portState(port, true);
  };
  const stop = async () => {
    run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    await portState(port, false);
  };
  await start();
  return {
    port,
    start,
    stop,
    acceptedConnections: () => readFileSync(join(dir, 'log'), 'utf8').match(/connection authorized/g)?.length ?? 0,
    close: async () => (await stop().catch(() => {}), rmSync(dir, { recursive: true, force: true })),
  };
}

/** A RabbitMQ node of its own (node name, ports, mnesia and log folders, epmd), stopped and started with `stop_app`/`start_app`. */
export async function startRabbit(): Promise<
  TestServer & { ctl(...args: string[]): Promise<string>; startedInMs: number }
> {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'hb-rmq-'));
  const [port, distPort, epmdPort] = [await freePort(), await freePort(), await freePort()];
  writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
  writeFileSync(join(dir, 'rabbitmq.conf'), 'loopback_users = none\n');
  const node = `hb${port}@localhost`;
  const env = {
    ...process.env,
    HOME: dir,
    ERL_EPMD_PORT: String(epmdPort),
    ERL_EPMD_ADDRESS: '127.0.0.1',
    RABBITMQ_NODENAME: node,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq'),
    RABBITMQ_PID_FILE: join(dir, 'pid'),
  };
  // Its own epmd on its own port: stopped with the node, never shared with another Erlang node.
  const epmd = spawn('epmd', ['-port', String(epmdPort), '-address', '127.0.0.1'], { stdio: 'ignore', env });
  await portState(epmdPort, true);
  const broker = spawn('/usr/lib/rabbitmq/bin/rabbitmq-server', [], { cwd: dir, stdio: 'ignore', env });
  await portState(port, true, 120_000);
  // Asynchronous: rabbitmqctl starts an Erlang VM of its own, seconds long, and Jest's timers must keep running meanwhile.
  const ctl = (...args: string[]) =>
    new Promise<string>((resolve, reject) =>
      execFile('/usr/lib/rabbitmq/bin/rabbitmqctl', ['-n', node, ...args], { env, cwd: dir }, (error, stdout) =>
        error ? reject(error) : resolve(stdout),
      ),
    );
  return {
    port,
    startedInMs: Date.now() - started,
    ctl,
    stop: async () => {
      await ctl('stop_app');
      await portState(port, false);
    },
    start: async () => {
      await ctl('start_app');
      await portState(port, true);
    },
    close: async () => {
      const exited = new Promise((resolve) =>
        broker.exitCode === null ? broker.once('exit', resolve) : resolve(null),
      );
      try {
        await ctl('shutdown');
      } catch {
        broker.kill('SIGKILL');
      }
      await exited;
      epmd.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The TCP connections the server on `port` holds now, as the kernel lists them (IPv4 loopback, established). */
export function serverConnections(port: number): number {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .filter((line) => {
      const [, local, , state] = line.trim().split(/\s+/);
      return state === '01' && local?.endsWith(`:${hex}`);
    }).length;
}
