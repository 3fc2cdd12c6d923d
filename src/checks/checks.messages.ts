import { maskUrlCredentials } from '../redact.js';

/** Error text of a built-in check's factory given an option it cannot use. */
export const INVALID_CHECK_OPTION = (check: string, option: string, expected: string, value: unknown) =>
  `${check}: option "${option}" must be ${expected} (got ${describeValue(value)}).`;

/** Names a rejected value without trusting it: strings quoted (URL passwords masked), objects by kind only. */
function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(maskUrlCredentials(value));
  if (value === null || ['number', 'boolean', 'undefined', 'bigint'].includes(typeof value)) return String(value);
  return `a value of type ${typeof value}`;
}
