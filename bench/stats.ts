/** Nearest-rank percentile of already collected samples; `NaN` when there are none. */
export function percentile(samples: number[], fraction: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil(fraction * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? Number.NaN;
}

export interface Distribution {
  count: number;
  p50: number;
  p99: number;
  mean: number;
}

export function distribution(samples: number[]): Distribution {
  const mean =
    samples.length === 0 ? Number.NaN : samples.reduce((sum, value) => sum + value, 0) / samples.length;
  return { count: samples.length, p50: percentile(samples, 0.5), p99: percentile(samples, 0.99), mean };
}

/** Fixed decimals for a table; `n/a` for a missing figure. */
export function formatNumber(value: number, decimals = 1): string {
  return Number.isFinite(value) ? value.toFixed(decimals) : 'n/a';
}
