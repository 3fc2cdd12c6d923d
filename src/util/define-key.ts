/** Sets an own enumerable property, even for keys such as `__proto__` that plain assignment treats specially. */
export function defineKey(target: object, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else (target as Record<string, unknown>)[key] = value;
}
