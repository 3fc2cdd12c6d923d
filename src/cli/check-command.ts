import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** Default of `--timeout`: the kubelet's default exec-probe timeout is 1 s, Docker's HEALTHCHECK 30 s. */
export const DEFAULT_CLI_TIMEOUT_MS = 2000;

export const USAGE = `usage: nestjs-heartbeat check <url> [--timeout <ms>]
  Requests <url> once (GET). Exits 0 on a 2xx or 3xx answer, 1 otherwise or after --timeout
  (default ${DEFAULT_CLI_TIMEOUT_MS} ms). Prints one line. For Docker HEALTHCHECK and Kubernetes exec probes.`;

/** Runs the CLI with `args` (without node and the script) and returns the exit code; `print` gets the one line. */
export async function runCli(args: readonly string[], print: (line: string) => void): Promise<number> {
  const [command, url, ...rest] = args;
  if (command === '--help' || command === '-h' || command === 'help') {
    print(USAGE);
    return 0;
  }
  if (command !== 'check' || !url) {
    print(USAGE);
    return 2;
  }
  let timeoutMs = DEFAULT_CLI_TIMEOUT_MS;
  for (let i = 0; i < rest.length; i++) {
    const value =
      rest[i] === '--timeout' ? rest[++i] : rest[i].startsWith('--timeout=') ? rest[i].slice(10) : undefined;
    if (value === undefined || !/^\d+$/.test(value) || Number(value) <= 0) {
      print(`FAIL invalid argument ${JSON.stringify(rest[i])}\n${USAGE}`);
      return 2;
    }
    timeoutMs = Number(value);
  }
  let target: URL;
  try {
    target = new URL(url);
    if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    print(`FAIL invalid URL ${JSON.stringify(url)}`);
    return 2;
  }
  const outcome = await probe(target, timeoutMs);
  print(outcome.line);
  return outcome.ok ? 0 : 1;
}

function probe(target: URL, timeoutMs: number): Promise<{ ok: boolean; line: string }> {
  return new Promise((resolve) => {
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send(
      target,
      { method: 'GET', agent: false, headers: { 'User-Agent': 'nestjs-heartbeat-cli' } },
      (response) => {
        const status = response.statusCode ?? 0;
        response.resume();
        response.on('end', () => {
          clearTimeout(timer);
          const ok = status >= 200 && status < 400;
          resolve({ ok, line: `${ok ? 'OK' : 'FAIL'} ${status} ${target.href}` });
        });
      },
    );
    const timer = setTimeout(() => {
      request.destroy();
      resolve({ ok: false, line: `FAIL timed out after ${timeoutMs} ms ${target.href}` });
    }, timeoutMs);
    request.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ ok: false, line: `FAIL ${error.code ?? error.message} ${target.href}` });
    });
    request.end();
  });
}
