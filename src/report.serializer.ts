/** Turns reports into response bodies; a report shared by coalesced callers is serialised once. */
const bodies = new WeakMap<object, string>();

/** The seed's JSON body of a report. */
export function serializeReport(report: object): string {
  let body = bodies.get(report);
  if (body === undefined) {
    body = JSON.stringify(report);
    bodies.set(report, body);
  }
  return body;
}

/** Sets an own enumerable property, even for keys such as `__proto__` that plain assignment treats specially. */
export function defineKey(target: object, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else (target as Record<string, unknown>)[key] = value;
}
