import type { StatusLevel } from './status.source.js';

/** What one row of the page shows of a check (also the `row` of a `check` event, which updates it). */
export interface CheckRow {
  readonly probe: string;
  readonly check: string;
  readonly level: StatusLevel;
  readonly critical: boolean;
  readonly durationMs: number | null;
  readonly since: number | null;
  /** Results in a row with the current status. */
  readonly streak: number;
  readonly message?: string;
  /** The last transitions, newest first. */
  readonly timeline: readonly { readonly time: number; readonly from?: StatusLevel; readonly to?: StatusLevel }[];
}

/** What the page says of a level: text and a symbol, never its colour alone. */
export const LEVEL_TEXT: Readonly<Record<StatusLevel, string>> = {
  pass: '✓ passing',
  degraded: '! degraded',
  fail: '✗ failing',
  pending: '… not run yet',
};

/** Escapes text for HTML content and quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A time as the page writes it (UTC, to the second), or a dash. */
export function timeText(ms: number | null | undefined): string {
  return typeof ms === 'number' && Number.isFinite(ms) ? new Date(ms).toISOString().slice(0, 19) + 'Z' : '—';
}

/** A duration in milliseconds, or a dash. */
export function durationText(ms: number | null | undefined): string {
  return typeof ms === 'number' && Number.isFinite(ms) ? `${Math.round(ms)} ms` : '—';
}

/** One check's row (its cells carry `data-col` so the script updates them). */
export function rowHtml(row: CheckRow): string {
  const e = escapeHtml;
  const timeline = row.timeline
    .map(
      (step) =>
        `<li><time datetime="${e(timeText(step.time))}">${e(timeText(step.time).slice(11))}</time> ${e(step.from ?? '—')} → ${e(step.to ?? '—')}</li>`,
    )
    .join('');
  return (
    `<tr data-key="${e(`${row.probe}/${row.check}`)}">` +
    `<th scope="row">${e(row.check)}</th>` +
    `<td data-col="level"><span class="level ${row.level}">${LEVEL_TEXT[row.level]}</span></td>` +
    `<td data-col="critical">${row.critical ? 'critical' : 'non-critical'}</td>` +
    `<td data-col="duration">${e(durationText(row.durationMs))}</td>` +
    `<td data-col="streak">${row.streak}</td>` +
    `<td data-col="since">${e(timeText(row.since))}</td>` +
    `<td data-col="message">${e(row.message ?? '')}</td>` +
    `<td data-col="timeline"><ol class="timeline">${timeline}</ol></td></tr>`
  );
}

/** The page's stylesheet: light and dark schemes, and every level marked by text as well as colour. */
export const STATUS_CSS = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1b1f24;--muted:#59636e;--line:#d1d9e0;--pass:#1a7f37;--degraded:#9a6700;--fail:#cf222e;--pending:#59636e}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--line:#3d444d;--pass:#3fb950;--degraded:#d29922;--fail:#f85149;--pending:#9198a1}}
body{margin:0;font:14px/1.45 system-ui,sans-serif;background:var(--bg);color:var(--fg)}
header,main,footer{padding:0 1rem}h1{font-size:1.3rem}h2{font-size:1.1rem;margin-top:1.5rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border-bottom:1px solid var(--line);padding:.3rem .5rem;text-align:left;vertical-align:top}
caption{text-align:left;font-weight:600;padding:.3rem 0}.level{font-weight:600}
.pass{color:var(--pass)}.degraded{color:var(--degraded)}.fail{color:var(--fail)}.pending{color:var(--pending)}
.timeline{margin:0;padding-left:1rem;color:var(--muted);font-size:12px}.conflict{color:var(--fail);font-weight:600}
#live{color:var(--muted)}td[data-col=message]{word-break:break-word;max-width:30rem}
`;
