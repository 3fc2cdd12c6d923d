import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { runCli } from '../src/cli/check-command.js';

const CLI = join(process.cwd(), 'dist', 'cli.js');

function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
    ),
  );
}

/** Runs the built bin as a user's exec probe would. */
function runBin(args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], (error, stdout) =>
      resolve({ code: error ? Number(error.code) : 0, stdout }),
    );
  });
}

describe('the exec-probe CLI', () => {
  let ok: { server: Server; url: string };
  let failing: { server: Server; url: string };
  let hanging: { server: Server; url: string };
  beforeAll(async () => {
    ok = await listen((_req, res) => res.end('{"status":true,"checks":{}}'));
    failing = await listen((_req, res) => {
      res.statusCode = 503;
      res.end('{"status":false}');
    });
    hanging = await listen(() => undefined);
  });
  afterAll(async () => {
    for (const { server } of [ok, failing, hanging]) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('exits 0 with one line on a 2xx answer (the built bin)', async () => {
    const result = await runBin(['check', `${ok.url}/.well-known/heartbeat/readiness`]);
    expect(result).toEqual({ code: 0, stdout: `OK 200 ${ok.url}/.well-known/heartbeat/readiness\n` });
  });

  it('exits 1 on a failure status', async () => {
    const result = await runBin(['check', failing.url]);
    expect(result).toEqual({ code: 1, stdout: `FAIL 503 ${failing.url}/\n` });
  });

  it('exits 1 after --timeout when the server does not answer', async () => {
    const lines: string[] = [];
    const started = Date.now();
    expect(await runCli(['check', hanging.url, '--timeout', '200'], (line) => lines.push(line))).toBe(1);
    expect(Date.now() - started).toBeLessThan(200 + 2000);
    expect(lines).toEqual([`FAIL timed out after 200 ms ${hanging.url}/`]);
  });

  it('exits 1 when nothing listens', async () => {
    const lines: string[] = [];
    expect(await runCli(['check', 'http://127.0.0.1:1/'], (line) => lines.push(line))).toBe(1);
    expect(lines).toEqual(['FAIL ECONNREFUSED http://127.0.0.1:1/']);
  });

  it('exits 2 with usage on bad arguments', async () => {
    const lines: string[] = [];
    expect(await runCli(['check'], (line) => lines.push(line))).toBe(2);
    expect(await runCli(['check', 'ftp://x'], (line) => lines.push(line))).toBe(2);
    expect(await runCli(['check', ok.url, '--timeout', 'soon'], (line) => lines.push(line))).toBe(2);
    expect(lines[0]).toMatch(/^usage: nestjs-heartbeat check <url>/);
    expect(lines[1]).toBe('FAIL invalid URL "ftp://x"');
    expect(lines[2]).toMatch(/^FAIL invalid argument "soon"/);
  });
});
