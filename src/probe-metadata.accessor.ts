import { Injectable } from '@nestjs/common';
import type { ProbeMetadata } from './decorators/probe-decorator.factory.js';
import { PROBE_METADATA } from './heartbeat.constants.js';

/** Reads what the probe decorators recorded on a method. */
@Injectable()
export class ProbeMetadataAccessor {
  /** The probe registrations of `method`, in the order the decorators were applied; empty if none. */
  getProbes(method: unknown): readonly ProbeMetadata[] {
    if (typeof method !== 'function') return [];
    return (Reflect.getOwnMetadata(PROBE_METADATA, method) as ProbeMetadata[] | undefined) ?? [];
  }
}
