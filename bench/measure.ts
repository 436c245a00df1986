/** Latency samples in milliseconds. */
export type Sample = number[];

export function percentile(sample: Sample, p: number): number {
  const sorted = [...sample].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

export const median = (sample: Sample): number => percentile(sample, 50);

async function timed(fn: () => Promise<void>, into: Sample): Promise<void> {
  const start = process.hrtime.bigint();
  await fn();
  into.push(Number(process.hrtime.bigint() - start) / 1e6);
}

/**
 * Runs raw and ours in alternating rounds (so both see the same machine state), `concurrency` operations at a
 * time, each worker on its own stream; `iterations` operations of each after a warm-up.
 */
export async function runInterleaved(
  raw: (worker: number) => Promise<void>,
  ours: (worker: number) => Promise<void>,
  { iterations, concurrency }: { iterations: number; concurrency: number },
): Promise<{ raw: Sample; ours: Sample }> {
  const samples = { raw: [] as Sample, ours: [] as Sample };
  const warm = { raw: [] as Sample, ours: [] as Sample };
  const round = async (into: { raw: Sample; ours: Sample }) => {
    await Promise.all(Array.from({ length: concurrency }, (_, w) => timed(() => raw(w), into.raw)));
    await Promise.all(Array.from({ length: concurrency }, (_, w) => timed(() => ours(w), into.ours)));
  };
  for (let i = 0; i < Math.max(5, Math.ceil(30 / concurrency)); i++) await round(warm);
  for (let i = 0; i < Math.ceil(iterations / concurrency); i++) await round(samples);
  return samples;
}
