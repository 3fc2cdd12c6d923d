import { FACTORY_ONLY_OPTION, FACTORY_RESULT, NO_OPTIONS_FACTORY } from '../heartbeat.messages.js';
import { applyRules, MODULE_OWNER as OWNER, readOptions } from './option-reader.js';
import { arrayOf, BOOLEAN, FUNCTION, optional, ROUTE_PREFIX, rule } from './option-rules.js';

/*
 * The arguments of `forRoot` and `forRootAsync`, read before Nest's module builder sees them (it
 * reads them without a guard: `forRoot(null)` would fail there with a raw TypeError).
 */

/** The options that shape the module's declaration (its controller), given beside the options. */
export const DECLARATION_RULES = {
  path: ROUTE_PREFIX,
  isGlobal: BOOLEAN,
  routeDecorators: arrayOf('an array of class decorators', FUNCTION),
  openApi: BOOLEAN,
};
const DECLARATION_OPTIONS = Object.keys(DECLARATION_RULES);
/** What `forRootAsync` takes besides the declaration options (Nest's `ASYNC_OPTIONS_METADATA_KEYS`). */
const ASYNC_OPTIONS = ['imports', 'inject', 'useFactory', 'useClass', 'useExisting', 'provideInjectionTokensFrom'];
const ARRAY = rule<unknown[]>('an array', Array.isArray);

/** `forRoot`'s argument, read once and checked: an object of module options and declaration options. */
export function readForRootOptions(options: unknown, moduleOptions: readonly string[]): Record<string, unknown> {
  const given = readOptions(options, { owner: OWNER, known: [...moduleOptions, ...DECLARATION_OPTIONS] });
  applyRules(OWNER, given, DECLARATION_RULES);
  return given;
}

/**
 * `forRootAsync`'s argument, read once and checked: exactly one way of making the options, and
 * the declaration options; a module option given beside the factory (Nest would ignore it) is an error.
 */
export function readForRootAsyncOptions(options: unknown, moduleOptions: readonly string[]): Record<string, unknown> {
  const owner = `${OWNER}.forRootAsync()`;
  const given = readOptions(options ?? null, {
    owner,
    known: [...ASYNC_OPTIONS, ...DECLARATION_OPTIONS],
    misplaced: (key) => (moduleOptions.includes(key) ? FACTORY_ONLY_OPTION(key) : undefined),
  });
  applyRules(OWNER, given, DECLARATION_RULES);
  const ways = ['useFactory', 'useClass', 'useExisting'].filter((key) => given[key] !== undefined);
  if (ways.length !== 1) throw new TypeError(NO_OPTIONS_FACTORY(ways.join(' and ') || 'none'));
  optional(owner, 'useFactory', given.useFactory, FUNCTION);
  optional(owner, 'useClass', given.useClass, FUNCTION);
  optional(owner, 'imports', given.imports, ARRAY);
  optional(owner, 'inject', given.inject, ARRAY);
  if (typeof given.useFactory === 'function') given.useFactory = guarded(given.useFactory as Factory);
  return given;
}

type Factory = (...args: unknown[]) => unknown;

/**
 * The factory, its result looked at before Nest awaits it: awaiting reads `then`, which throws a raw
 * TypeError for a revoked Proxy. Anything else the result holds is read by `resolveOptions`.
 */
function guarded(factory: Factory): Factory {
  return (...args) => {
    const result = factory(...args);
    try {
      void (result as { then?: unknown } | null)?.then;
    } catch (error) {
      throw new TypeError(FACTORY_RESULT(result), { cause: error });
    }
    return result;
  };
}
