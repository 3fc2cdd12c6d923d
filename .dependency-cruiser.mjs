// The architecture lint (issue 26; the layout is drawn in docs/architecture.md). Imports run one way
// through the stages: transport → the service facade → report → run → state → discovery →
// probe/options → util. Observers (metrics, gRPC) and features (environ, built-in checks) sit beside
// the chain, and only the module's wiring imports them. `tsPreCompilationDeps` makes type-only imports
// count: a type that climbs back up is the first step of a cycle.

/** The stages, highest first: a stage may import the stages after it, never one before. */
const TRANSPORT = '^src/transport/';
const FACADE = '^src/heartbeat[.]service[.]ts$';
const REPORT = '^src/report/';
const RUN = '^src/run/';
const STATE = '^src/state/';
const DISCOVERY = '^src/(discovery|decorators)/';
const OPTIONS = '^src/(options|interfaces|probe)/|^src/heartbeat[.](constants|messages|options)[.]ts$';
const UTIL = '^src/util/';
/** Beside the chain: read the state and the report, imported only by the wiring. */
const OBSERVERS = '^src/observers/';
/** Beside the chain: use the registry's types and what lies below it. */
const FEATURES = '^src/(environ|checks)/';
/** The module's wiring and the entry points: they may import anything, and nothing imports them. */
const WIRING =
  '^src/(index|cli|heartbeat[.]module|heartbeat[.]module-definition|heartbeat[.]setup)[.]ts$|^src/cli/|^src/testing/';

const any = (...paths) => paths.filter(Boolean).join('|');

const rules = [
  {
    name: 'no-circular',
    comment:
      'A cycle (type-only imports included) means two stages each need the other: none of them can be read first.',
    severity: 'error',
    from: { path: '^src/' },
    to: { circular: true },
  },
  {
    name: 'stage-unknown',
    comment: 'Every file of src/ belongs to a stage; a new folder is placed in this map before it is used.',
    severity: 'error',
    from: {
      path: '^src/',
      pathNot: any(TRANSPORT, FACADE, REPORT, RUN, STATE, DISCOVERY, OPTIONS, UTIL, OBSERVERS, FEATURES, WIRING),
    },
    to: {},
  },
  {
    name: 'not-to-wiring',
    comment: 'The wiring (module, module definition, setup, index, CLI) is the top: nothing below it imports it.',
    severity: 'error',
    from: { path: '^src/', pathNot: WIRING },
    to: { path: WIRING },
  },
  {
    name: 'not-to-transport',
    comment: 'Transports are the first stage: only the wiring imports them (report, run and observers never do).',
    severity: 'error',
    from: { path: '^src/', pathNot: any(TRANSPORT, WIRING) },
    to: { path: TRANSPORT },
  },
  {
    name: 'not-to-facade',
    comment:
      'The service is the public facade over report and run: transports, observers and the wiring use it, lower stages never.',
    severity: 'error',
    from: { path: '^src/', pathNot: any(TRANSPORT, FACADE, OBSERVERS, WIRING) },
    to: { path: FACADE },
  },
  {
    name: 'not-to-report',
    comment:
      'The report (evaluation, views, serializer) reads what run/ produced; run/ and below never reach back up to it.',
    severity: 'error',
    from: { path: any(RUN, STATE, DISCOVERY, OPTIONS, UTIL, FEATURES) },
    to: { path: REPORT },
  },
  {
    name: 'not-to-run',
    comment:
      'run/ (evaluator, runner) writes the state and calls the checks discovery found; the state and everything below never call back into it.',
    severity: 'error',
    from: { path: any(STATE, DISCOVERY, OPTIONS, UTIL, FEATURES) },
    to: { path: RUN },
  },
  {
    name: 'not-to-state',
    comment: 'The state holds a record per registered check; discovery, options and util know no state.',
    severity: 'error',
    from: { path: any(DISCOVERY, OPTIONS, UTIL, FEATURES) },
    to: { path: STATE },
  },
  {
    name: 'not-to-discovery',
    comment: 'Discovery stores the checks by the options and probe kinds below it; options and util know no registry.',
    severity: 'error',
    from: { path: any(OPTIONS, UTIL) },
    to: { path: DISCOVERY },
  },
  {
    name: 'features-use-registry-types-only',
    comment:
      "Features (environ, built-in checks) are plain checks: they may name the registry's types, never run its code.",
    severity: 'error',
    from: { path: FEATURES },
    to: { path: DISCOVERY, dependencyTypesNot: ['type-only'] },
  },
  {
    name: 'not-to-features',
    comment: 'Features are registered by the wiring like any check: the core never imports one.',
    severity: 'error',
    from: { path: '^src/', pathNot: any(FEATURES, WIRING) },
    to: { path: FEATURES },
  },
  {
    name: 'not-to-observers',
    comment:
      'Observers (metrics, gRPC) read the state and the report; only the wiring imports them, so removing one touches nothing else.',
    severity: 'error',
    from: { path: '^src/', pathNot: any(OBSERVERS, WIRING) },
    to: { path: OBSERVERS },
  },
  {
    name: 'testing-uses-the-facade',
    comment:
      "The testing entry (nestjs-heartbeat/testing) reads only the service's facade and the registry, so a rewrite of run/, report/ or transport/ leaves it working.",
    severity: 'error',
    from: { path: '^src/testing/' },
    to: { path: '^src/(run|state|report|transport)/' },
  },
  {
    name: 'util-is-a-leaf',
    comment: 'util/ (text, redaction, package loading) is the last stage: it imports nothing else of src/.',
    severity: 'error',
    from: { path: UTIL },
    to: { path: '^src/', pathNot: UTIL },
  },
];

export default {
  forbidden: rules,
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^src/',
  },
};
