import { jest } from '@jest/globals';
import { execFile } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { runCli } from '../src/cli/check-command.js';

const CLI = join(process.cwd(), 'dist', 'cli.js');
const PATH = '/.well-known/heartbeat/readiness';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

function listen(handler: Handler): Promise<{ server: Server; url: string; port: number }> {
  const server = createServer(handler);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ server, url: `http://127.0.0.1:${port}`, port });
    }),
  );
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

/** Runs the built bin as a user's exec probe would. */
function runBin(args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], (error, stdout) =>
      resolve({ code: error ? Number(error.code) : 0, stdout }),
    );
  });
}

/** Runs the CLI in this process and collects what it prints. */
async function run(args: string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await runCli(args, (line) => lines.push(line));
  return { code, lines };
}

/** A promise and the function that resolves it: the test decides when something happens. */
function gate<T = void>(): { promise: Promise<T>; open: (value: T) => void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (open = resolve));
  return { promise, open };
}

describe('the exec-probe CLI', () => {
  let ok: { server: Server; url: string; port: number };
  let failing: { server: Server; url: string; port: number };
  let closedPort: number;
  beforeAll(async () => {
    ok = await listen((_req, res) => res.end('{"status":true,"checks":{}}'));
    failing = await listen((_req, res) => {
      res.statusCode = 503;
      res.end('{"status":false}');
    });
    const closed = createTcpServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
  });
  afterAll(async () => {
    await close(ok.server);
    await close(failing.server);
  });

  describe('the built bin', () => {
    it('exits 0 with one line on a 2xx answer', async () => {
      const result = await runBin(['check', `${ok.url}${PATH}`]);
      expect(result).toEqual({ code: 0, stdout: `OK 200 ${ok.url}${PATH}\n` });
    });

    it('exits 1 on a failure status', async () => {
      expect(await runBin(['check', failing.url])).toEqual({ code: 1, stdout: `FAIL 503 ${failing.url}/\n` });
    });

    it('exits 2 on bad arguments, 0 on --help', async () => {
      expect(await runBin(['check'])).toMatchObject({ code: 2, stdout: expect.stringMatching(/^usage: /) });
      expect(await runBin(['--help'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^usage: /) });
    });

    it('masks the password of the URL it prints, options before the URL', async () => {
      const result = await runBin(['-t', '5000', 'check', `http://probe:s3cret@127.0.0.1:${ok.port}${PATH}`]);
      expect(result).toEqual({ code: 0, stdout: `OK 200 http://probe:***@127.0.0.1:${ok.port}${PATH}\n` });
    });
  });

  describe('arguments (util.parseArgs)', () => {
    it.each([
      [['check', '--timeout', '500', 'URL']],
      [['check', 'URL', '--timeout', '500']],
      [['check', 'URL', '--timeout=500']],
      [['--timeout=500', 'check', 'URL']],
      [['-t', '500', 'check', 'URL']],
      [['check', 'URL', '-t', '500']],
      [['check', 'URL', '-t500']],
      [['check', '--', 'URL']],
    ])('takes options before or after the URL: %j', async (args) => {
      const url = `${ok.url}${PATH}`;
      expect(await run(args.map((arg) => (arg === 'URL' ? url : arg)))).toEqual({
        code: 0,
        lines: [`OK 200 ${url}`],
      });
    });

    it('accepts the largest timeout a timer can hold, 2^31-1 ms', async () => {
      expect(await run(['check', ok.url, '--timeout', '2147483647'])).toEqual({
        code: 0,
        lines: [`OK 200 ${ok.url}/`],
      });
    });

    it.each(['0', '2147483648', '99999999999', '1.5', '1e3', 'soon', ''])(
      'rejects --timeout=%j with exit 2, before any request',
      async (value) => {
        let requests = 0;
        const counting = await listen(() => void requests++);
        try {
          const { code, lines } = await run(['check', counting.url, `--timeout=${value}`]);
          expect(code).toBe(2);
          expect(lines).toHaveLength(1);
          expect(lines[0]).toMatch(
            new RegExp(`^FAIL invalid --timeout ${JSON.stringify(value)}: whole milliseconds from 1 to 2147483647\n`),
          );
          expect(lines[0]).toMatch(/\nusage: nestjs-heartbeat check <url>/);
          expect(requests).toBe(0);
        } finally {
          await close(counting.server);
        }
      },
    );

    it('rejects a negative timeout given as a separate argument, and an option without its value', async () => {
      const negative = await run(['check', ok.url, '--timeout', '-5']);
      expect(negative.code).toBe(2);
      expect(negative.lines[0]).toMatch(/^FAIL .*--timeout.*\nusage: /s);
      const missing = await run(['check', ok.url, '--timeout']);
      expect(missing.code).toBe(2);
      expect(missing.lines[0]).toMatch(/^FAIL .*--timeout.*\nusage: /s);
    });

    it('exits 2 with usage on a missing or extra argument, an unknown option or command, a URL that is not http(s)', async () => {
      expect(await run([])).toMatchObject({
        code: 2,
        lines: [expect.stringMatching(/^usage: nestjs-heartbeat check/)],
      });
      expect(await run(['check'])).toMatchObject({ code: 2, lines: [expect.stringMatching(/^usage: /)] });
      expect(await run(['ping', ok.url])).toMatchObject({
        code: 2,
        lines: [expect.stringMatching(/^FAIL unknown command "ping"\nusage: /)],
      });
      expect(await run(['check', ok.url, 'extra'])).toMatchObject({
        code: 2,
        lines: [expect.stringMatching(/^FAIL unexpected argument "extra"\nusage: /)],
      });
      expect(await run(['check', ok.url, '--bogus'])).toMatchObject({
        code: 2,
        lines: [expect.stringMatching(/^FAIL unknown option '--bogus'\nusage: /)],
      });
      expect(await run(['check', 'ftp://x'])).toEqual({ code: 2, lines: ['FAIL invalid URL "ftp://x"'] });
      expect(await run(['check', 'not a url'])).toEqual({ code: 2, lines: ['FAIL invalid URL "not a url"'] });
    });

    it('prints the usage with exit 0 on --help, -h or help, wherever it stands', async () => {
      for (const args of [['--help'], ['-h'], ['help'], ['check', ok.url, '--help']]) {
        const { code, lines } = await run(args);
        expect({ args, code }).toEqual({ args, code: 0 });
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(/^usage: nestjs-heartbeat check <url> \[--timeout <ms>\]/);
        expect(lines[0]).toContain('-t, --timeout <ms>');
        expect(lines[0]).toContain('1 to 2147483647');
      }
    });
  });

  describe('outcomes', () => {
    afterEach(() => {
      jest.useRealTimers();
    });

    it('exits 1 after --timeout when the server holds the request (fake timers)', async () => {
      const received = gate();
      const holding = await listen(() => received.open());
      // Only the CLI's own timer is faked: sockets and streams keep their real ticks.
      jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
      try {
        let settled = false;
        const result = run(['check', holding.url, '--timeout', '200']).finally(() => (settled = true));
        await received.promise;
        await jest.advanceTimersByTimeAsync(199);
        expect(settled).toBe(false);
        await jest.advanceTimersByTimeAsync(1);
        expect(await result).toEqual({ code: 1, lines: [`FAIL timed out after 200 ms ${holding.url}/`] });
      } finally {
        jest.useRealTimers();
        await close(holding.server);
      }
    });

    it('decides on the status line: a body that drips forever neither holds it nor is read', async () => {
      const hungUp = gate();
      const dripping = await listen((req, res) => {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.write('x'.repeat(64 * 1024));
        const drip = setInterval(() => res.write('x'), 5);
        req.socket.once('close', () => {
          clearInterval(drip);
          hungUp.open();
        });
      });
      try {
        // The timeout is only a loose bound: the answer comes from the status line, long before it.
        expect(await run(['check', dripping.url, '--timeout', '15000'])).toEqual({
          code: 0,
          lines: [`OK 200 ${dripping.url}/`],
        });
        await hungUp.promise;
      } finally {
        await close(dripping.server);
      }
    });

    it('exits 1 when nothing listens', async () => {
      expect(await run(['check', `http://127.0.0.1:${closedPort}/`])).toEqual({
        code: 1,
        lines: [`FAIL ECONNREFUSED http://127.0.0.1:${closedPort}/`],
      });
    });

    it('masks credential-like query parameters in every line it prints, with the same rule as the bodies', async () => {
      const seen: string[] = [];
      const server = await listen((req, res) => {
        seen.push(req.url ?? '');
        res.end();
      });
      try {
        const query = '?token=tk-91&Access_Token=tk-92&api_key=tk-93&page=2';
        const masked = '?token=***&Access_Token=***&api_key=***&page=2';
        // The query is still sent as given; only the printed line hides it.
        expect(await run(['check', `http://127.0.0.1:${server.port}/h${query}`])).toEqual({
          code: 0,
          lines: [`OK 200 http://127.0.0.1:${server.port}/h${masked}`],
        });
        expect(seen).toEqual([`/h${query}`]);
        expect(await run(['check', `http://127.0.0.1:${failing.port}/h${query}`])).toEqual({
          code: 1,
          lines: [`FAIL 503 http://127.0.0.1:${failing.port}/h${masked}`],
        });
        expect(await run(['check', `http://127.0.0.1:${closedPort}/h${query}`])).toEqual({
          code: 1,
          lines: [`FAIL ECONNREFUSED http://127.0.0.1:${closedPort}/h${masked}`],
        });
        expect(await run(['check', `ftp://host/h${query}`])).toEqual({
          code: 2,
          lines: [`FAIL invalid URL "ftp://host/h${masked}"`],
        });
      } finally {
        await close(server.server);
      }
    });

    it('masks the password in every line it prints: OK, FAIL, timeout, error, invalid URL', async () => {
      const secret = 's3cret';
      const auth = `probe:${secret}@`;
      const masked = 'probe:***@';
      const seen: string[] = [];
      const authorised = await listen((req, res) => {
        seen.push(req.headers.authorization ?? '');
        res.end();
      });
      const received = gate();
      const holding = await listen(() => received.open());
      try {
        // The password is still sent (Basic auth from the URL); only the printed line hides it.
        expect(await run(['check', `http://${auth}127.0.0.1:${authorised.port}/`])).toEqual({
          code: 0,
          lines: [`OK 200 http://${masked}127.0.0.1:${authorised.port}/`],
        });
        expect(seen).toEqual([`Basic ${Buffer.from(`probe:${secret}`).toString('base64')}`]);
        expect(await run(['check', `http://${auth}127.0.0.1:${failing.port}/x`])).toEqual({
          code: 1,
          lines: [`FAIL 503 http://${masked}127.0.0.1:${failing.port}/x`],
        });
        expect(await run(['check', `http://${auth}127.0.0.1:${closedPort}/`])).toEqual({
          code: 1,
          lines: [`FAIL ECONNREFUSED http://${masked}127.0.0.1:${closedPort}/`],
        });
        expect(await run(['check', `ftp://${auth}host/`])).toEqual({
          code: 2,
          lines: [`FAIL invalid URL "ftp://${masked}host/"`],
        });
        const holdingPort = (holding.server.address() as AddressInfo).port;
        jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
        const timedOut = run(['check', `http://${auth}127.0.0.1:${holdingPort}/`, '-t', '50']);
        await received.promise;
        await jest.advanceTimersByTimeAsync(50);
        expect(await timedOut).toEqual({
          code: 1,
          lines: [`FAIL timed out after 50 ms http://${masked}127.0.0.1:${holdingPort}/`],
        });
      } finally {
        jest.useRealTimers();
        await close(authorised.server);
        await close(holding.server);
      }
    });
  });
});
