/**
 * The child process of `bench/gitops.ts`'s second half: the whole local runtime as `npm start` runs it (every
 * context's stand-ins, the instances context's among them; handlers at INFO; stream pollers every 20 ms; IAM
 * enforced), on free ports with its own DynamoDB Local and state folder. It tells the parent over IPC where it
 * runs and how the stand-ins are timed, answers `report` with the GitHub stand-in's runs, and stops on `stop` or
 * when the parent goes away.
 */

import { catalogue } from '#src/contexts/catalogue.js';
import { instanceStream } from '#src/contexts/instances/domain/instance.stream.js';
import type { InstancesLocal } from '#src/contexts/instances/local/index.js';
import { documentClient } from '#src/platform/aws/dynamodb-client.js';
import { DynamoEventStore } from '#src/platform/event-store/dynamodb/dynamodb.event-store.js';
import { tableName } from '#src/platform/infra/app.js';
import { startLocalRuntime } from '#src/platform/local/runtime.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** What the child sends once it serves. */
export interface RuntimeReady {
  httpUrl: string;
  /** The prod environment repository (bare) and ALB stand-in. */
  prodBare: string;
  prodAlbUrl: string;
  github: { queuedMs: number; inProgressMs: number; retryMs: number };
  ecs: { taskStartMs: number; taskStopMs: number; steadyRepeatMs: number };
}

/** The parent asks for the runs and, per instance, when each event type first occurred on its stream. */
export interface ReportRequest {
  report: string[];
}
export interface Report {
  runs: RunSummary[];
  milestones: Record<string, Record<string, string>>;
}

/** A run of the GitHub stand-in, as the parent counts them. */
export interface RunSummary {
  tenantId: string | undefined;
  action: string | undefined;
  environment: string;
  status: string;
  conclusion: string | null;
  steps: string[];
}

const stateDir = process.env.BBWS_BENCH_STATE_DIR;
if (!stateDir) throw new Error('BBWS_BENCH_STATE_DIR is not set (this file is started by bench/gitops.ts)');
const STAGE = 'bench';
const runtime = await startLocalRuntime({ stage: STAGE, stateDir });
// Read here, where the runtime set the environment the store needs (the KMS stand-in for sealed values).
const client = documentClient({ region: 'af-south-1', endpoint: runtime.dynamoEndpoint });
const store = new DynamoEventStore(client, tableName('EventStoreTable', STAGE), catalogue);
const { standIns } = runtime.standIns.get('instances') as InstancesLocal;
const ready: RuntimeReady = {
  httpUrl: runtime.httpUrl,
  prodBare: standIns.git.repositories.prod.bare,
  prodAlbUrl: standIns.albs.prod.url,
  github: { ...standIns.github.timing },
  ecs: { ...standIns.aws.ecs.timing },
};
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  client.destroy();
  await runtime.stop();
  process.exit(0);
};
async function report(instanceIds: string[]): Promise<Report> {
  const milestones: Report['milestones'] = {};
  for (const instanceId of instanceIds) {
    const firsts: Record<string, string> = {};
    for (const event of await store.readStream(instanceStream.id(instanceId)))
      firsts[event.type] ??= event.occurredAt;
    milestones[instanceId] = firsts;
  }
  const runs: RunSummary[] = standIns.github.runs.map((run) => ({
    tenantId: run.inputs.tenant_id,
    action: run.inputs.action,
    environment: run.repository.environment,
    status: run.status,
    conclusion: run.conclusion,
    steps: run.steps.map((s) => `${s.name}: ${s.conclusion ?? s.status}`),
  }));
  return { runs, milestones };
}

process.on('message', (message) => {
  if (message === 'stop') void stop();
  const request = message as Partial<ReportRequest>;
  if (Array.isArray(request.report)) void report(request.report).then((r) => process.send?.(r));
});
process.on('disconnect', () => void stop());
process.send?.(ready);
