/** Rounds to one decimal, as every built-in check reports times and percentages. */
export function roundTenth(value: number): number {
  return Math.round(value * 10) / 10;
}

/** Starts a stopwatch; the returned function gives the milliseconds since, to one decimal. */
export function stopwatch(): () => number {
  const started = performance.now();
  return () => roundTenth(performance.now() - started);
}
