import {
  TESTING_CHECK_LINE,
  TESTING_EXPECTED_CHECK,
  TESTING_EXPECTED_MESSAGE,
  TESTING_EXPECTED_PROBE,
  TESTING_NO_CHECK,
} from '../heartbeat.messages.js';
import type { CheckView, ProbeResult } from './probe.js';

/** Assertions on a probe's answer; each throws a plain `Error` naming the checks and their messages. */
export interface ProbeExpectation {
  /** The probe passes (200); else the error lists the failing checks: `db failed: connection refused`. */
  toPass(): ProbeExpectation;
  /** The check named `check` passes. */
  toPass(check: string): ProbeExpectation;
  /** The probe fails. */
  toFail(): ProbeExpectation;
  /** The check named `check` fails, with exactly `message` (or a message matching it) when given. */
  toFail(check: string, message?: string | RegExp): ProbeExpectation;
}

/**
 * Assertions that read like the test: `expectProbe(await probe(app, 'readiness')).toFail('db')`.
 * Usable with any test runner: a failed one throws a plain `Error`, no matcher to set up.
 */
export function expectProbe(result: ProbeResult): ProbeExpectation {
  const expectation: ProbeExpectation = {
    toPass(check?: string) {
      if (check === undefined) {
        if (!result.passed) fail(TESTING_EXPECTED_PROBE(result.probe, 'pass', result.statusCode, failing(result)));
      } else {
        const view = named(result, check, 'pass');
        if (!view.status) fail(TESTING_EXPECTED_CHECK(result.probe, check, 'pass', lineOf(view)));
      }
      return expectation;
    },
    toFail(check?: string, message?: string | RegExp) {
      if (check === undefined) {
        if (result.passed) fail(TESTING_EXPECTED_PROBE(result.probe, 'fail', result.statusCode, ''));
        return expectation;
      }
      const view = named(result, check, 'fail');
      if (view.status) fail(TESTING_EXPECTED_CHECK(result.probe, check, 'fail', lineOf(view)));
      if (message !== undefined && !sameMessage(view.message, message)) {
        const want = typeof message === 'string' ? JSON.stringify(message) : String(message);
        fail(TESTING_EXPECTED_MESSAGE(result.probe, check, want, view.message));
      }
      return expectation;
    },
  };
  return expectation;
}

/** One line for an answer: its status code and its failing checks (`500 (db failed: down)`), for errors. */
export function answerLine(result: ProbeResult): string {
  const checks = failing(result);
  return `${result.statusCode}${checks === '' ? '' : ` (${checks})`}`;
}

function failing(result: ProbeResult): string {
  const lines = Object.values(result.checks)
    .filter((view) => !view.status)
    .map(lineOf);
  // A body without checks (a 404 of an unknown check, shutting down): its message says why.
  if (lines.length === 0 && typeof (result.body as { message?: unknown })?.message === 'string')
    return (result.body as { message: string }).message;
  return lines.join('; ');
}

function named(result: ProbeResult, check: string, want: 'pass' | 'fail'): CheckView {
  const view = result.checks[check];
  if (view === undefined || !Object.hasOwn(result.checks, check)) {
    fail(
      TESTING_EXPECTED_CHECK(
        result.probe,
        check,
        want,
        `${TESTING_NO_CHECK(result.probe, check, Object.keys(result.checks))}`,
      ),
    );
  }
  return view;
}

function lineOf(view: CheckView): string {
  return TESTING_CHECK_LINE(view.name, view.status, view.message);
}

function sameMessage(got: string | undefined, want: string | RegExp): boolean {
  if (got === undefined) return false;
  return typeof want === 'string' ? got === want : want.test(got);
}

function fail(message: string): never {
  throw new Error(message);
}
