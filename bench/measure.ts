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
  { iterations, concurrency, warmup }: { iterations: number; concurrency: number; warmup?: number },
): Promise<{ raw: Sample; ours: Sample }> {
  const samples = { raw: [] as Sample, ours: [] as Sample };
  const warm = { raw: [] as Sample, ours: [] as Sample };
  const round = async (into: { raw: Sample; ours: Sample }) => {
    await Promise.all(Array.from({ length: concurrency }, (_, w) => timed(() => raw(w), into.raw)));
    await Promise.all(Array.from({ length: concurrency }, (_, w) => timed(() => ours(w), into.ours)));
  };
  const warmRounds = warmup ?? Math.max(5, Math.ceil(30 / concurrency));
  for (let i = 0; i < warmRounds; i++) await round(warm);
  for (let i = 0; i < Math.ceil(iterations / concurrency); i++) await round(samples);
  return samples;
}

/**
 * Command-line options, parsed strictly (an unknown or misspelt option is an error, not a silent default):
 * `--help` prints the usage and exits 0; a parse error prints it and exits 2.
 */
export function parseBenchArgs<T extends { help?: boolean | undefined }>(usage: string, parse: () => T): T {
  let values: T;
  try {
    values = parse();
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  return values;
}

/** An option that must be a whole number of at least `min`. */
export function wholeNumber(name: string, value: string, min = 1): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) {
    throw new RangeError(`--${name} must be a whole number >= ${min}, got "${value}"`);
  }
  return n;
}

export class NonFiniteFigureError extends Error {
  override readonly name = 'NonFiniteFigureError';
}

/**
 * Prints the figures as the benchmark's last line (one JSON object), then fails naming every figure that is not
 * a finite number: JSON would print NaN as null and drop undefined, and a benchmark that measured nothing must
 * not exit 0.
 */
export function printFigures(figures: Readonly<Record<string, unknown>>): void {
  console.log(JSON.stringify(figures));
  const bad = Object.entries(figures).filter(
    ([, value]) => !(typeof value === 'number' && Number.isFinite(value)),
  );
  if (bad.length > 0) {
    const named = bad.map(([name, value]) => `${name} = ${String(value)}`).join(', ');
    throw new NonFiniteFigureError(`figures that are not finite numbers: ${named}`);
  }
}
