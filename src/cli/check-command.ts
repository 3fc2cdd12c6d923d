import { parseArgs } from 'node:util';
import { getStatus } from '../checks/http-get.js';
import { MAX_TIMER_MS } from '../heartbeat.constants.js';
import { maskSecrets } from '../util/redact.js';
import { reasonOf } from '../util/text.js';

/** Default of `--timeout`: the kubelet's default exec-probe timeout is 1 s, Docker's HEALTHCHECK 30 s. */
export const DEFAULT_CLI_TIMEOUT_MS = 2000;

/** What `--help` and every usage error print. */
export const USAGE = `usage: nestjs-heartbeat check <url> [--timeout <ms>]
       nestjs-heartbeat --help
  Requests <url> once (GET) and prints one line. Exits 0 on a 2xx or 3xx answer, 1 on any other
  status, an error or no answer within the timeout, 2 on bad arguments. Only the status line is
  read, never the body. A password in <url> is sent (Basic auth) but printed as ***, and so
  are credential-like query parameters (?token=, ?api_key=, ?sig=...).
  For Docker HEALTHCHECK and Kubernetes exec probes.
options (before or after <url>):
  -t, --timeout <ms>  give up after <ms> milliseconds, 1 to ${MAX_TIMER_MS} (default ${DEFAULT_CLI_TIMEOUT_MS});
                      also --timeout=<ms> or -t<ms>
  -h, --help          print this text and exit 0`;

type Parsed =
  | { readonly kind: 'help' }
  | { readonly kind: 'usage'; readonly problem?: string }
  | { readonly kind: 'invalid-url'; readonly url: string }
  | { readonly kind: 'check'; readonly target: URL; readonly timeoutMs: number };

/** Runs the CLI with `args` (without node and the script) and returns the exit code; `print` gets the one line. */
export async function runCli(args: readonly string[], print: (line: string) => void): Promise<number> {
  // Every line goes through the one mask, so no branch (OK, FAIL, error, usage) can print a URL password or a `?token=`.
  const say = (line: string) => print(maskSecrets(line));
  const parsed = parse(args);
  switch (parsed.kind) {
    case 'help':
      say(USAGE);
      return 0;
    case 'usage':
      say(parsed.problem === undefined ? USAGE : `FAIL ${parsed.problem}\n${USAGE}`);
      return 2;
    case 'invalid-url':
      say(`FAIL invalid URL ${JSON.stringify(parsed.url)}`);
      return 2;
    case 'check': {
      const outcome = await probe(parsed.target, parsed.timeoutMs);
      say(outcome.line);
      return outcome.ok ? 0 : 1;
    }
  }
}

function parse(args: readonly string[]): Parsed {
  let values: { timeout?: string; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...args],
      options: { timeout: { type: 'string', short: 't' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    }));
  } catch (error) {
    return { kind: 'usage', problem: firstSentence(error) };
  }
  const [command, url, ...extra] = positionals;
  if (values.help || (command === 'help' && url === undefined)) return { kind: 'help' };
  if (command === undefined) return { kind: 'usage' };
  if (command !== 'check') return { kind: 'usage', problem: `unknown command ${JSON.stringify(command)}` };
  if (url === undefined) return { kind: 'usage' };
  if (extra.length > 0) return { kind: 'usage', problem: `unexpected argument ${JSON.stringify(extra[0])}` };
  const timeoutMs = values.timeout === undefined ? DEFAULT_CLI_TIMEOUT_MS : toTimeout(values.timeout);
  if (timeoutMs === undefined) {
    return {
      kind: 'usage',
      problem: `invalid --timeout ${JSON.stringify(values.timeout)}: whole milliseconds from 1 to ${MAX_TIMER_MS}`,
    };
  }
  const target = URL.canParse(url) ? new URL(url) : undefined;
  if (target?.protocol !== 'http:' && target?.protocol !== 'https:') return { kind: 'invalid-url', url };
  return { kind: 'check', target, timeoutMs };
}

function toTimeout(value: string): number | undefined {
  const ms = /^\d{1,10}$/.test(value) ? Number(value) : 0;
  return ms >= 1 && ms <= MAX_TIMER_MS ? ms : undefined;
}

/** parseArgs' messages run to several sentences of advice; the first one names the problem. */
function firstSentence(error: unknown): string {
  const first = reasonOf(error).split(/\.(?:\s|$)/, 1)[0];
  return first.charAt(0).toLowerCase() + first.slice(1);
}

async function probe(target: URL, timeoutMs: number): Promise<{ ok: boolean; line: string }> {
  const outcome = await getStatus(target, timeoutMs, { 'User-Agent': 'nestjs-heartbeat-cli' });
  if ('timedOut' in outcome) return { ok: false, line: `FAIL timed out after ${timeoutMs} ms ${target.href}` };
  if ('error' in outcome) return { ok: false, line: `FAIL ${outcome.error} ${target.href}` };
  const ok = outcome.statusCode >= 200 && outcome.statusCode < 400;
  return { ok, line: `${ok ? 'OK' : 'FAIL'} ${outcome.statusCode} ${target.href}` };
}
