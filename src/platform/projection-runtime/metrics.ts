import { MetricUnit, Metrics as PowertoolsMetrics } from '@aws-lambda-powertools/metrics';
import type { Metrics } from './ports.js';

/** CloudWatch metrics as EMF log lines (Powertools): published when the handler calls `flush`. */
export class EmfMetrics implements Metrics {
  private readonly metrics: PowertoolsMetrics;

  constructor(namespace: string, serviceName: string) {
    this.metrics = new PowertoolsMetrics({ namespace, serviceName });
  }

  count(name: string, value = 1, dimensions: Record<string, string> = {}): void {
    this.single(dimensions).addMetric(name, MetricUnit.Count, value);
  }

  milliseconds(name: string, value: number, dimensions: Record<string, string> = {}): void {
    this.single(dimensions).addMetric(name, MetricUnit.Milliseconds, value);
  }

  flush(): void {
    this.metrics.publishStoredMetrics();
  }

  private single(dimensions: Record<string, string>) {
    if (Object.keys(dimensions).length === 0) return this.metrics;
    const metric = this.metrics.singleMetric();
    for (const [name, value] of Object.entries(dimensions)) metric.addDimension(name, value);
    return metric;
  }
}

/** Keeps every data point: tests assert on them, the local runtime prints summaries. */
export class RecordingMetrics implements Metrics {
  readonly points: { name: string; value: number; dimensions: Record<string, string> }[] = [];

  count(name: string, value = 1, dimensions: Record<string, string> = {}): void {
    this.points.push({ name, value, dimensions });
  }

  milliseconds(name: string, value: number, dimensions: Record<string, string> = {}): void {
    this.points.push({ name, value, dimensions });
  }

  flush(): void {}

  total(name: string): number {
    return this.points.filter((p) => p.name === name).reduce((sum, p) => sum + p.value, 0);
  }
}
