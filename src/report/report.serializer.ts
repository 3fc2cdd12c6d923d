import type { CheckOutcome } from '../run/probe-result.normalizer.js';
import { defineKey } from '../util/define-key.js';

/** The members (`"key":value`) one environ contributor adds to the report, in order; `''` for an omitted value. */
export type EnvironMembers = readonly (readonly [key: string, json: string])[];

/** Serialises what a contributor adds to the environ report, once per outcome. */
export function environMembers(outcome: CheckOutcome): EnvironMembers {
  const members: [string, string][] = [];
  for (const [key, value] of Object.entries(outcome.data)) {
    // Serialised as a member of an object, so values are treated exactly as JSON.stringify treats the whole report.
    members.push([key, JSON.stringify({ [key]: value }).slice(1, -1)]);
  }
  return members;
}

/**
 * The environ body from the contributors' members, equal to `JSON.stringify(environReport(...))`.
 * The members are merged into an object the way the report is, so keys keep the report's order
 * (integer-like keys first, then `status`, then every key where it first appeared) and the last value.
 */
export function environBody(
  status: boolean,
  contributions: readonly EnvironMembers[],
  errors: Record<string, string> | undefined,
): string {
  const merged: Record<string, string> = { status: `"status":${status}` };
  for (const members of contributions) for (const [key, json] of members) defineKey(merged, key, json);
  if (errors) merged.errors = JSON.stringify({ errors }).slice(1, -1);
  let body = '';
  for (const json of Object.values(merged)) if (json !== '') body += body ? `,${json}` : json;
  return `{${body}}`;
}
