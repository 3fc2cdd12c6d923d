import { MAX_NAME_LENGTH } from '../heartbeat.constants.js';
import { oneLine, truncate } from '../util/text.js';

/*
 * A check's name as the report and the routes show it: capped at the check-name limit, which belongs
 * to the checks (beside the registered name's limit), not to the text helpers.
 */

/**
 * A check's name as reported: one line, capped (a result tuple may name it with anything). A
 * registered name is validated as a string; should anything else reach here, the report stays whole.
 */
export function checkName(name: string): string {
  return typeof name === 'string' ? oneLine(name, MAX_NAME_LENGTH) : 'anonymous';
}

/**
 * Caps a requested check name the way a reported name is capped (`checkName`), so that a long name
 * still finds its check and a megabyte of URL is never echoed into the 404 that names it.
 */
export function capCheckName(name: string): string {
  return name.length <= MAX_NAME_LENGTH ? name : truncate(name, MAX_NAME_LENGTH);
}
