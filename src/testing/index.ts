// nestjs-heartbeat/testing: ask probes, fake checks, wait for a state and assert, in any test runner.
export {
  probe,
  type CheckView,
  type HealthJsonBody,
  type ProbeBody,
  type ProbeOptions,
  type ProbeResult,
  type TerminusBody,
} from './probe.js';
export { fakeCheck, restoreChecks, type FakeCheckOptions, type FakeOutcome, type RestoreCheck } from './fake-check.js';
export { untilProbe, type UntilProbeOptions } from './until-probe.js';
export { expectProbe, type ProbeExpectation } from './expect-probe.js';
export type { TestedApp, TestedProbe } from './testing-app.js';
