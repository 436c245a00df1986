import { Logger } from '@aws-lambda-powertools/logger';
import type { SQSEvent } from 'aws-lambda';
import { ulid } from 'ulid';
import { describe, expect, it, vi } from 'vitest';
import { catalogue } from '#src/contexts/catalogue.js';
import { CommandRunner } from '#src/platform/command/command-runner.js';
import { InMemoryConsumerLedger } from '#src/platform/consumers/ledger.js';
import { InMemoryEventStore } from '#src/platform/event-store/in-memory.event-store.js';
import { runningInstance } from '../ecs/instance-fixtures.js';
import { followRun, MAX_POLLS, RunNotSettledError } from './follow.js';
import { followConsumer } from './follow-consumer.js';
import type { DeployWorkflow, FollowUp, WorkflowRunView } from './ports.js';
import type { ProvisionerDependencies } from './provisioner.js';

const logger = new Logger({ logLevel: 'SILENT' });

/** The instance's run 7 as GitHub answers it (in progress unless told otherwise); polls scheduled, not sent. */
async function world(status: WorkflowRunView['status'] = 'in_progress') {
  const store = new InMemoryEventStore(catalogue);
  const runner = new CommandRunner({ store, clock: () => new Date(), newEventId: ulid });
  const instance = await runningInstance(runner, { environment: 'prod' });
  const scheduled: FollowUp[] = [];
  const polls: number[] = [];
  const workflow: DeployWorkflow = {
    findRun: async () => undefined,
    dispatch: async () => {
      throw new Error('no dispatch in these tests');
    },
    run: async (_repository, runId) => {
      polls.push(runId);
      return {
        id: runId,
        url: 'https://github.com/o/prod-env/actions/runs/7',
        status,
        conclusion: null,
        title: 't',
      };
    },
  };
  const deps: ProvisionerDependencies = {
    runner,
    store,
    environments: () => ({
      repository: { owner: 'o', name: 'prod-env' },
      git: new Proxy({} as never, {
        get: () => {
          throw new Error('no git in these tests');
        },
      }),
    }),
    workflow,
    schedule: async (followUp) => void scheduled.push(followUp),
    folders: { region: 'af-south-1', image: 'x', siteBaseDomain: 'bbws.test', adminEmail: 'ops@bbws.test' },
  };
  const followUp = (attempt: number): FollowUp => ({
    instanceId: instance.instanceId,
    tenantId: instance.tenantId,
    change: 1,
    runId: 7,
    action: 'apply',
    eventId: 'E1',
    correlationId: 'c',
    attempt,
  });
  const ledger = new InMemoryConsumerLedger();
  const counted: string[] = [];
  const metrics = { count: (name: string) => void counted.push(name), flush: () => {} };
  const consume = followConsumer(() => ({ provisioner: deps, logger, metrics, ledger }));
  let messages = 0;
  const deliver = (...bodies: FollowUp[]) =>
    consume({
      Records: bodies.map((body) => ({
        messageId: `m${++messages}`,
        body: JSON.stringify(body),
        attributes: { ApproximateReceiveCount: '1' },
      })),
    } as unknown as SQSEvent);
  return { deps, followUp, scheduled, polls, deliver, counted, ledger };
}

describe('a follow-up is polled once (review leftovers, #6)', () => {
  it('delivered twice: one poll, exactly one further follow-up', async () => {
    const w = await world();
    expect(await w.deliver(w.followUp(0))).toEqual({ batchItemFailures: [] });
    expect(await w.deliver(w.followUp(0))).toEqual({ batchItemFailures: [] });
    expect(w.scheduled.map((f) => f.attempt)).toEqual([1]);
    expect(w.polls).toHaveLength(1);
    expect(w.counted).toEqual(['ConsumerDuplicates']);
  });

  it('twice in one batch: one poll; the other is retried (busy, no failure) and then dropped as done', async () => {
    const w = await world();
    const error = vi.spyOn(Logger.prototype, 'error');
    const info = vi.spyOn(Logger.prototype, 'info');
    const first = await w.deliver(w.followUp(3), w.followUp(3));
    expect(first.batchItemFailures, 'the busy one is retried, not dropped').toHaveLength(1);
    expect(w.counted, 'busy is not a failure (ConsumerFailures alarms)').not.toContain('ConsumerFailures');
    expect(error).not.toHaveBeenCalled();
    expect(info).toHaveBeenCalledWith('follow-up busy: retried later', expect.anything());
    error.mockRestore();
    info.mockRestore();
    expect(w.scheduled.map((f) => f.attempt)).toEqual([4]);
    expect(await w.deliver(w.followUp(3))).toEqual({ batchItemFailures: [] });
    expect(w.scheduled.map((f) => f.attempt)).toEqual([4]);
  });

  it('a poll that failed is given back: its retry polls again', async () => {
    const w = await world();
    const run = w.deps.workflow.run;
    w.deps.workflow.run = async () => {
      throw new Error('GitHub 502');
    };
    expect((await w.deliver(w.followUp(0))).batchItemFailures).toHaveLength(1);
    w.deps.workflow.run = run;
    expect(await w.deliver(w.followUp(0))).toEqual({ batchItemFailures: [] });
    expect(w.scheduled.map((f) => f.attempt)).toEqual([1]);
  });

  it('the next attempt of the same run is a new poll', async () => {
    const w = await world();
    await w.deliver(w.followUp(0));
    await w.deliver(w.followUp(1));
    expect(w.scheduled.map((f) => f.attempt)).toEqual([1, 2]);
  });
});

describe('a run that never settles (review leftovers, #7)', () => {
  it(`is followed up to MAX_POLLS (${MAX_POLLS}) polls, then RunNotSettledError and no further follow-up`, async () => {
    const w = await world('queued');
    await followRun(w.deps, w.followUp(MAX_POLLS - 2), logger);
    expect(w.scheduled.map((f) => f.attempt)).toEqual([MAX_POLLS - 1]);
    await expect(followRun(w.deps, w.followUp(MAX_POLLS - 1), logger)).rejects.toThrow(RunNotSettledError);
    expect(w.scheduled).toHaveLength(1);
  });

  it('through the consumer: the message fails (to the DLQ after its receives), nothing scheduled', async () => {
    const w = await world('in_progress');
    const answer = await w.deliver(w.followUp(MAX_POLLS - 1));
    expect(answer.batchItemFailures).toHaveLength(1);
    expect(w.scheduled).toEqual([]);
    expect(w.counted).toEqual(['ConsumerFailures']);
  });
});
