import type { EnvironReport } from '../../interfaces/probe.interface.js';
import type { MainThreadReading } from '../../interfaces/status-pages.interface.js';
import { STATUS_SCRIPT } from './status.client.js';
import type { StatusLevel } from './status.source.js';
import { type CheckRow, durationText, escapeHtml, LEVEL_TEXT, rowHtml, STATUS_CSS, timeText } from './status.view.js';

/** Libraries with conflicts listed on the page at most (the environ probe lists them all). */
const MAX_CONFLICTS = 50;

/** What the page renders: the state when it was asked for, and the journal's last id to resume from. */
export interface PageModel {
  readonly time: number;
  readonly lastId: number;
  readonly rotation: 'In rotation' | 'Out of rotation' | 'Shutting down';
  readonly probes: readonly {
    readonly probe: string;
    readonly level: StatusLevel;
    readonly rows: readonly CheckRow[];
  }[];
  /** Only where environ is served. */
  readonly environ?: EnvironReport | null;
  /** Only in thread mode: the main loop as the worker thread saw it when the page was asked for. */
  readonly mainThread?: MainThreadReading;
}

/** The whole page: one document, its style and script inline under `nonce`, readable without the script. */
export function pageHtml(model: PageModel, nonce: string): string {
  const e = escapeHtml;
  const probes = model.probes.map(
    ({ probe, level, rows }) =>
      `<section aria-labelledby="h-${probe}"><h2 id="h-${probe}">${e(probe)}: ` +
      `<span class="level ${level}" data-probe-level="${e(probe)}">${LEVEL_TEXT[level]}</span></h2>` +
      `<table data-probe="${e(probe)}"><caption>Checks of the ${e(probe)} probe</caption><thead><tr>` +
      '<th scope="col">Check</th><th scope="col">Status</th><th scope="col">Kind</th><th scope="col">Last duration</th>' +
      '<th scope="col">Streak</th><th scope="col">Since</th><th scope="col">Last message</th><th scope="col">Recent transitions</th>' +
      `</tr></thead><tbody>${rows.map(rowHtml).join('')}</tbody></table></section>`,
  );
  return (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1"><title>Health status</title>' +
    `<style nonce="${nonce}">${STATUS_CSS}</style></head><body>` +
    '<header><h1>Health status</h1>' +
    `<p><span id="rotation">${model.rotation}</span> · rendered ${e(timeText(model.time))} · ` +
    '<span id="live" role="status" aria-live="polite">Live updates need JavaScript; reload to refresh.</span></p></header>' +
    `<main id="main" data-last-id="${model.lastId}">${mainThreadHtml(model.mainThread)}${probes.join('')}${environHtml(model.environ)}</main>` +
    '<footer><p>History as JSON: <a href="history">history</a>.</p></footer>' +
    `<script nonce="${nonce}">${STATUS_SCRIPT}</script></body></html>`
  );
}

/** The environ summary: the Node version, how many libraries, and those whose requirements conflict. */
function environHtml(environ: EnvironReport | null | undefined): string {
  if (environ === undefined) return '';
  const e = escapeHtml;
  const head = '<section aria-labelledby="h-environ"><h2 id="h-environ">Environment</h2>';
  if (environ === null) return `${head}<p>The environ report could not be read.</p></section>`;
  const libraries = Object.entries(environ.libraries ?? {});
  const conflicts = libraries.filter(([, library]) => library?.conflicts?.length).slice(0, MAX_CONFLICTS);
  const node = Array.isArray(environ.node) ? environ.node.join('.') : '?';
  const rows = conflicts
    .map(
      ([name, library]) =>
        `<tr><th scope="row">${e(name)}</th><td>${e(String(library.version))}</td>` +
        `<td class="conflict">conflict: ${e((library.conflicts ?? []).join('; '))}</td></tr>`,
    )
    .join('');
  const table = conflicts.length
    ? '<table><caption>Version conflicts</caption><thead><tr><th scope="col">Library</th>' +
      `<th scope="col">Version</th><th scope="col">Conflict</th></tr></thead><tbody>${rows}</tbody></table>`
    : '<p>No version conflicts.</p>';
  const inventory = environ.inventory as { complete?: unknown } | undefined;
  const partial =
    inventory?.complete === false ? ' The inventory is still running: conflicts are not checked yet.' : '';
  const count = `${libraries.length} ${libraries.length === 1 ? 'library' : 'libraries'}`;
  return `${head}<p>Node ${e(node)}, ${count}.${partial}</p>${table}</section>`;
}

/**
 * The main loop's lag and stall as the worker thread measures them (`thread: true`), beside the
 * limits over which it fails readiness (lag) and liveness (stall); the script updates the rows from
 * the worker's `mainthread` events, which keep coming while the main loop is stalled.
 */
function mainThreadHtml(reading: MainThreadReading | undefined): string {
  if (reading === undefined) return '';
  const row = (key: string, label: string, valueMs: number, limitMs: number, probe: string) => {
    const level = valueMs <= limitMs ? 'pass' : 'fail';
    return (
      `<tr data-main="${key}"><th scope="row">${label}</th><td data-col="value">${durationText(valueMs)}</td>` +
      `<td data-col="limit" data-limit="${limitMs}">${durationText(limitMs)} (${probe})</td>` +
      `<td data-col="level"><span class="level ${level}">${LEVEL_TEXT[level]}</span></td></tr>`
    );
  };
  return (
    '<section aria-labelledby="h-main-thread"><h2 id="h-main-thread">Main thread</h2>' +
    '<table><caption>The main loop as the worker thread sees it</caption><thead><tr><th scope="col">Measure</th>' +
    '<th scope="col">Now</th><th scope="col">Fails over</th><th scope="col">Status</th></tr></thead><tbody>' +
    row('lag', 'Lag', reading.lagMs, reading.maxLagMs, 'readiness') +
    row('stall', 'Stalled for', reading.stalledMs, reading.maxStallMs, 'liveness') +
    '</tbody></table></section>'
  );
}
