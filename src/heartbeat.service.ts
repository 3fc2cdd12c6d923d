import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { findPackageRoot } from './environ/package-root.js';
import { scanLibraries } from './environ/library-inventory.js';
import { HEARTBEAT_RESOLVED_OPTIONS } from './heartbeat.constants.js';
import type { ResolvedHeartbeatOptions } from './heartbeat.options.js';
import type {
  CheckReport,
  EnvironReport,
  LibraryReport,
  ProbeKind,
  ProbeReport,
} from './interfaces/probe.interface.js';
import { ProbeRegistry } from './probe.registry.js';
import { type CheckRun, ProbeRunner } from './probe.runner.js';
import { defineKey, serializeReport } from './report.serializer.js';

/** A serialised probe response, as every transport sends it. */
export interface ProbeResponse {
  readonly statusCode: number;
  readonly body: string;
}

/** The inventory may take a while on a large tree the first time; later calls are served from memory. */
const INVENTORY_TIMEOUT_MS = 5000;

/**
 * Produces the probe reports. Controllers, the management port and user code all call it, so every
 * transport answers the same thing.
 */
@Injectable()
export class HeartbeatService implements OnModuleInit {
  private libraries: Promise<Record<string, LibraryReport>> | null = null;

  constructor(
    private readonly registry: ProbeRegistry,
    private readonly runner: ProbeRunner,
    @Inject(HEARTBEAT_RESOLVED_OPTIONS) private readonly options: ResolvedHeartbeatOptions,
  ) {
    this.registerBuiltins();
  }

  /** Starts the library inventory at bootstrap, so the first environ request finds it ready. */
  onModuleInit(): void {
    void this.inventory();
  }

  /** The built-in environ contributors, registered before discovery so they come first in the report. */
  private registerBuiltins(): void {
    const node = process.versions.node.split('.').map(Number) as [number, number, number];
    this.registry.add({
      kind: 'environ',
      name: 'libraries',
      source: 'heartbeat.libraries',
      handler: async () => ({ libraries: await this.inventory() }),
      options: { timeoutMs: Math.max(INVENTORY_TIMEOUT_MS, this.options.timeoutMs) },
      trusted: true,
    });
    this.registry.add({
      kind: 'environ',
      name: 'node',
      source: 'heartbeat.node',
      handler: () => ({ node }),
      options: {},
      trusted: true,
    });
  }

  /** The readiness report: should this instance receive traffic? */
  readiness(): Promise<ProbeReport> {
    return this.probe('readiness');
  }

  /** The liveliness (liveness) report: is the process healthy? */
  liveliness(): Promise<ProbeReport> {
    return this.probe('liveliness');
  }

  /** The Kubernetes spelling of `liveliness()`. */
  liveness(): Promise<ProbeReport> {
    return this.probe('liveliness');
  }

  /** The environ report: libraries, Node version and the contributors' data. */
  async environ(): Promise<EnvironReport> {
    const runs = await this.runner.run('environ', this.registry.get('environ'));
    return this.environReport(runs);
  }

  /** The HTTP status code for a report: 200 when it passes, else `failureStatusCode`. */
  statusCodeOf(report: { status: boolean }): number {
    return report.status ? 200 : this.options.failureStatusCode;
  }

  /** The response every transport sends for a probe. */
  async respond(kind: ProbeKind): Promise<ProbeResponse> {
    const report = kind === 'environ' ? await this.environ() : await this.probe(kind);
    return { statusCode: this.statusCodeOf(report), body: serializeReport(report) };
  }

  private async probe(kind: Exclude<ProbeKind, 'environ'>): Promise<ProbeReport> {
    const runs = await this.runner.run(kind, this.registry.get(kind));
    return this.probeReport(runs);
  }

  /**
   * The seed's `{status, checks}`. A name already taken in this report gets the suffix `#2`, `#3`…
   * in registration order, so two results never overwrite each other.
   */
  private probeReport(runs: readonly CheckRun[]): ProbeReport {
    const checks: Record<string, CheckReport> = {};
    let status = true;
    for (const { probe, outcome } of runs) {
      const critical = probe.options.critical !== false;
      if (critical && !outcome.status) status = false;
      let name = outcome.name;
      for (let n = 2; Object.hasOwn(checks, name); n++) name = `${outcome.name}#${n}`;
      const check: CheckReport =
        this.options.details === 'always' ? { status: outcome.status, ...outcome.data } : { status: outcome.status };
      if (!critical) check.critical = false;
      defineKey(checks, name, check);
    }
    return { status, checks };
  }

  /**
   * The contributors' data merged shallowly in registration order (later keys win); `status` is
   * always the aggregate. Contributors that threw, timed out or returned garbage are listed under `errors`.
   */
  private environReport(runs: readonly CheckRun[]): EnvironReport {
    const report = { status: true } as EnvironReport;
    let errors: Record<string, string> | undefined;
    for (const { probe, outcome } of runs) {
      if (!outcome.status) report.status = false;
      if (outcome.error !== undefined) {
        errors ??= {};
        defineKey(errors, probe.source, this.options.details === 'always' ? outcome.error : 'reason withheld');
        continue;
      }
      for (const [key, value] of Object.entries(outcome.data)) defineKey(report, key, value);
    }
    if (errors) report.errors = errors;
    return report;
  }

  private inventory(): Promise<Record<string, LibraryReport>> {
    this.libraries ??= scanLibraries(findPackageRoot()).catch(() => ({}));
    return this.libraries;
  }
}
