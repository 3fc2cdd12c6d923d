/** The probes the module serves. `liveliness` is the seed's spelling of Kubernetes' liveness. */
export type ProbeKind = 'readiness' | 'liveliness' | 'startup' | 'environ';

/** Free-form data reported beside a check's status. */
export type CheckData = Record<string, unknown>;

/** The seed's result tuple: `[name, status, data?]`. */
export type CheckTuple = readonly [name: string, status: boolean, data?: CheckData];

/**
 * What a readiness, liveliness or startup handler may return (or resolve to): the seed's tuple,
 * an object `{ status, ...data }`, a boolean, or nothing (passing). Throwing or rejecting makes a
 * failing check that carries the error's message.
 */
export type CheckResult = CheckTuple | ({ status: boolean } & CheckData) | boolean | void | undefined | null;

/** What an environ contributor may return: the seed's `[status, data]`, or the data alone. */
export type EnvironResult = readonly [status: boolean, data: CheckData] | CheckData | boolean | void | undefined | null;

/**
 * A probe handler, sync or async. One that declares a parameter receives an `AbortSignal`, aborted
 * when the check's timeout passes, to cancel a driver call (`fetch(url, { signal })`).
 */
export type CheckHandler = (signal: AbortSignal) => unknown;

/** @deprecated Renamed `CheckHandler` (a probe is an endpoint, a check one handler of it). */
export type ProbeHandler = CheckHandler;

/** Options of one registered check, given to a decorator or to `ProbeRegistry.register`. */
export interface CheckOptions {
  /** The check's name in the report; defaults to the decorated method's (or function's) name. */
  name?: string;
  /** How long the check may take before it is reported as failing; defaults to the module's `timeoutMs`. */
  timeoutMs?: number;
  /** Serve this check's last result for this many milliseconds; defaults to the module's `cacheTtlMs`. */
  cacheTtlMs?: number;
  /** Abandon a call that has not settled after this many milliseconds and call again; defaults to the module's `abandonAfterMs`. */
  abandonAfterMs?: number;
  /** A non-critical check is reported but does not fail its probe. Default `true`. */
  critical?: boolean;
  /**
   * Run the check in the background every this many milliseconds (with ±10 % jitter, never
   * overlapping itself) and let probes answer its last result at once. Defaults to the module's `intervalMs`. Not for environ contributors.
   */
  intervalMs?: number;
  /**
   * A background result older than this many milliseconds fails the check (its loop is stuck).
   * Defaults to the module's `staleAfterMs`, else `2 × (intervalMs × 1.1 + timeoutMs)`.
   */
  staleAfterMs?: number;
  /** Raw results failing in a row before a passing check is reported failing. Defaults to the module's. */
  failureThreshold?: number;
  /** Raw results passing in a row before a failing check is reported passing again. Defaults to the module's. */
  successThreshold?: number;
}

/** @deprecated Renamed `CheckOptions` (a probe is an endpoint, a check one handler of it). */
export type ProbeOptions = CheckOptions;

/** One check in a probe report: its status and the data it returned (or a failure message). */
export interface CheckReport {
  status: boolean;
  [key: string]: unknown;
}

/** The body of readiness, liveliness and startup, as the seed defines it. */
export interface ProbeReport {
  status: boolean;
  checks: Record<string, CheckReport>;
  /** Present (`true`) when the probe passes with a degraded check: a failing non-critical one, or a `degraded` result. */
  degraded?: true;
}

/** One installed package in the environ report. */
export interface LibraryReport {
  /** The installed version; where several are installed, the one the app resolves from its root, else the highest. */
  version: string;
  /** `null` when consistent, else readable descriptions of broken requirements. */
  conflicts: string[] | null;
  /** Every installed version, present only when more than one is installed. */
  versions?: string[];
}

/** The body of environ: the aggregate status, the library inventory, the Node version and contributed data. */
export interface EnvironReport {
  status: boolean;
  libraries: Record<string, LibraryReport>;
  node: [number, number, number];
  [key: string]: unknown;
}
