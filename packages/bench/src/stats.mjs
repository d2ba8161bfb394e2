// Small statistics and timing helpers for the benchmarks.

export const now = () => performance.now();

export function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index];
}

export const median = (values) => quantile(values, 0.5);
export const p99 = (values) => quantile(values, 0.99);
export const mean = (values) => values.reduce((sum, value) => sum + value, 0) / values.length;

/** How far per-round figures spread: min, quartiles and max. */
export const spread = (values) => ({
  min: Math.min(...values),
  q1: quantile(values, 0.25),
  q3: quantile(values, 0.75),
  max: Math.max(...values),
});

/** Runs `fn` `times` times (after `warmup` unrecorded runs) and returns each duration in ms. */
export async function timeEach(times, fn, warmup = Math.ceil(times / 10)) {
  for (let i = 0; i < warmup; i++) await fn(i);
  const durations = [];
  for (let i = 0; i < times; i++) {
    const start = now();
    await fn(i);
    durations.push(now() - start);
  }
  return durations;
}

/** Milliseconds `fn` takes. */
export async function timed(fn) {
  const start = now();
  await fn();
  return now() - start;
}

/** CPU time of a `process.cpuUsage()`-shaped figure, microseconds. */
export const cpuMicros = (usage) => usage.user + usage.system;

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
