import fc from 'fast-check';
import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { CommandRunner } from '#src/platform/command/command-runner.js';
import { IllegalStateError } from '#src/platform/domain/errors.js';
import { EventCatalogue } from '#src/platform/event-store/catalogue.js';
import type { EventEnvelope } from '#src/platform/event-store/event-store.port.js';
import { InMemoryEventStore } from '#src/platform/event-store/in-memory.event-store.js';
import { metadata } from '#test/fixtures.js';
import type { EcsEventName } from './ecs-events.js';
import { meaningOf } from './ecs-events.js';
import type { InstanceCommand } from './instance.commands.js';
import { ECS_CLOCK_SKEW_MS, instanceDecider } from './instance.decider.js';
import { type EcsFact, instanceEventDefinitions } from './instance.events.js';
import type { InstanceState, InstanceStatus } from './instance.state.js';
import { instanceStream } from './instance.stream.js';
import { cell, ECS_COLUMNS, ecsFact, PLAN, SERVICE_ARN, STATE_FIXTURES } from './transition-table.js';

/*
 * Model-based: an instance is provisioned while ECS facts arrive in random order, some twice, and the provisioner
 * crashes between doing a step (a pushed commit, a dispatched run) and recording it, so the step is delivered
 * again and finds what it did before (the same SHA, the same run), or re-delivers a step it recorded long ago.
 * The model: the provisioner's steps by hand, and for ECS facts the state x event table (docs/events.md),
 * which must hold whatever the history. Checked after every command: ECS facts recorded in strictly increasing
 * (at, id) order, each once, the newest delivered always among them; one commit and one run recorded; the pipeline
 * never goes back; the status is the model's.
 */

const catalogue = new EventCatalogue(instanceEventDefinitions);
const NAMES: EcsEventName[] = [
  'SERVICE_STEADY_STATE',
  'SERVICE_DEPLOYMENT_COMPLETED',
  'SERVICE_DEPLOYMENT_IN_PROGRESS',
  'SERVICE_DEPLOYMENT_FAILED',
  'SERVICE_DESIRED_COUNT_UPDATED',
  'TASKS_STOPPED',
  'SERVICE_TASK_START_IMPAIRED',
];
const PIPELINE: InstanceStatus[] = [
  'PENDING_PROVISIONING',
  'COMMITTING',
  'WORKFLOW_QUEUED',
  'WORKFLOW_RUNNING',
  'PROVISIONING',
  'ACTIVE',
];
const SHA = 'c'.repeat(40);
const runUrl = (id: number) => `https://github.com/bbws/env-prod/actions/runs/${id}`;

const key = (f: EcsFact) => [Date.parse(f.at), f.ecsEventId] as const;
const after = (a: EcsFact, b: EcsFact | undefined) => {
  if (!b) return true;
  const [[ta, ia], [tb, ib]] = [key(a), key(b)];
  return ta > tb || (ta === tb && ia > ib);
};

interface Model {
  status: InstanceStatus;
  /** The next provisioner step to record (0..5); `outcome` is what the workflow concludes. */
  next: number;
  outcome: 'succeeded' | 'failed';
  newest?: EcsFact;
  steadyDuringRun: boolean;
  serviceSteady: boolean;
  highestPipeline: number;
  /** The outputs were recorded (the service's ARN, which a destroyed predecessor's facts share). */
  resources: boolean;
  /** The newest service creation a recorded fact carried (ECS's clock, ms). */
  serviceCreatedAt?: number;
}

interface Real {
  runner: CommandRunner;
  store: InMemoryEventStore;
  streamId: string;
  /** What the outside world holds: the commit pushed and the run dispatched (found again after a crash). */
  pushed?: string;
  dispatched?: number;
}

const fixtureOf = (status: InstanceStatus) =>
  STATE_FIXTURES.find((f) => f.label === (status === 'SCALING' ? 'SCALING (count)' : status));

async function run(real: Real, command: InstanceCommand) {
  return real.runner.run({
    decider: instanceDecider,
    streamId: real.streamId,
    command,
    metadata: metadata(),
    result: ({ state }) => state,
  });
}

async function check(model: Model, real: Real): Promise<void> {
  const events = await real.store.readStream(real.streamId);
  const facts = events.filter((e) => e.type === 'ECS_SERVICE_EVENT').map((e) => e.data as EcsFact);
  facts.forEach((fact, i) => {
    if (i > 0) expect(after(fact, facts[i - 1]), 'ECS facts recorded in increasing order').toBe(true);
  });
  expect(new Set(facts.map((f) => f.ecsEventId)).size, 'each ECS fact once').toBe(facts.length);
  if (model.newest) expect(facts.at(-1)).toEqual(model.newest);
  const of = (type: string) => events.filter((e: EventEnvelope) => e.type === type);
  expect(of('INSTANCE_COMMITTED').length, 'one commit').toBeLessThanOrEqual(1);
  const runs = new Set(
    [
      ...of('INSTANCE_WORKFLOW_QUEUED'),
      ...of('INSTANCE_WORKFLOW_RUNNING'),
      ...of('INSTANCE_WORKFLOW_SUCCEEDED'),
    ].map((e) => (e.data as { runId: number }).runId),
  );
  expect(runs.size, 'one run').toBeLessThanOrEqual(1);
  const state = (await real.store.load(real.streamId)).events.reduce(
    (s, e) => instanceDecider.evolve(s, { type: e.type, data: e.data } as never),
    instanceDecider.initialState() as InstanceState,
  );
  expect(state.status, 'the status the model expects').toBe(model.status);
  const rank = PIPELINE.indexOf(model.status);
  if (rank >= 0) {
    expect(rank, 'the pipeline never goes back').toBeGreaterThanOrEqual(model.highestPipeline);
    model.highestPipeline = rank;
  }
}

/** What the provisioner does at step k: the world's effect (found again if it happened), then the report. */
function report(k: number, model: Model, real: Real): InstanceCommand {
  if (k === 1) real.pushed ??= SHA;
  if (k === 2) real.dispatched ??= 901;
  const runId = real.dispatched ?? 0;
  switch (k) {
    case 0:
      return { type: 'RecordCommitStarted', change: 1 };
    case 1:
      return { type: 'RecordCommit', change: 1, commitSha: real.pushed ?? SHA, changed: true };
    case 2:
      return { type: 'RecordWorkflowQueued', change: 1, runId, runUrl: runUrl(runId) };
    case 3:
      return { type: 'RecordWorkflowRunning', change: 1, runId, runUrl: runUrl(runId) };
    default:
      return {
        type: 'RecordWorkflowOutcome',
        change: 1,
        runId,
        outcome: model.outcome,
        conclusion: model.outcome,
      };
  }
}

/** The model of the provisioner's steps (independent of the decider's code). */
function stepStatus(k: number, model: Model): InstanceStatus {
  if (model.status === 'FAILED') return 'FAILED';
  if (k === 0) return 'COMMITTING';
  if (k === 1 || k === 2) return 'WORKFLOW_QUEUED';
  if (k === 3) return 'WORKFLOW_RUNNING';
  if (model.outcome === 'failed') return 'FAILED';
  return model.steadyDuringRun && model.serviceSteady ? 'ACTIVE' : 'PROVISIONING';
}

class Step implements fc.AsyncCommand<Model, Real> {
  constructor(readonly crash: boolean) {}
  check = (m: Readonly<Model>) => m.next < 5;
  async run(model: Model, real: Real) {
    const command = report(model.next, model, real);
    if (this.crash) return; // did the step's work, died before recording: the message comes again
    const { events } = await run(real, command);
    expect(events).toHaveLength(1);
    model.status = stepStatus(model.next, model);
    model.next++;
    await check(model, real);
  }
  toString = () => `Step(${this.crash ? 'crash' : 'ok'})`;
}

class Redeliver implements fc.AsyncCommand<Model, Real> {
  constructor(readonly step: number) {}
  check = (m: Readonly<Model>) => m.next > 0;
  async run(model: Model, real: Real) {
    const { events } = await run(real, report(this.step % model.next, model, real));
    expect(events, 'a re-delivered step records nothing').toEqual([]);
    await check(model, real);
  }
  toString = () => `Redeliver(${this.step})`;
}

/** A second dispatch that did not find the first run: refused, never a second run. */
class RogueRun implements fc.AsyncCommand<Model, Real> {
  check = (m: Readonly<Model>) => m.next > 2;
  async run(model: Model, real: Real) {
    const runId = (real.dispatched ?? 0) + 1;
    const command: InstanceCommand = {
      type: 'RecordWorkflowRunning',
      change: 1,
      runId,
      runUrl: runUrl(runId),
    };
    await expect(run(real, command)).rejects.toBeInstanceOf(IllegalStateError);
    await check(model, real);
  }
  toString = () => 'RogueRun';
}

/** The workflow's outputs, recorded once while it runs or after (the webhook's report). */
class Resources implements fc.AsyncCommand<Model, Real> {
  check = (m: Readonly<Model>) => m.next >= 4 && !m.resources;
  async run(model: Model, real: Real) {
    const resources = { serviceArn: SERVICE_ARN };
    const { events } = await run(real, { type: 'RecordResources', change: 1, resources });
    expect(events).toHaveLength(1);
    model.resources = true;
    await check(model, real);
  }
  toString = () => 'Resources';
}

class Deliver implements fc.AsyncCommand<Model, Real> {
  constructor(readonly fact: EcsFact) {}
  check = () => true;
  async run(model: Model, real: Real) {
    const { events } = await run(real, { type: 'RecordEcsEvent', fact: this.fact });
    const at = Date.parse(this.fact.at);
    // By the platform's clock only until the ARN is recorded; by the service's creation (ECS's clock) always.
    if (!model.resources && at < REQUESTED_AT - ECS_CLOCK_SKEW_MS) {
      expect(events, "a fact dated before the instance was requested is a predecessor's: dropped").toEqual(
        [],
      );
      return check(model, real);
    }
    const created = Math.max(
      model.serviceCreatedAt ?? -Infinity,
      this.fact.serviceCreatedAt ? Date.parse(this.fact.serviceCreatedAt) : -Infinity,
    );
    if (at < created) {
      expect(events, "a fact dated before the service's creation (ECS's clock) is a predecessor's").toEqual(
        [],
      );
      return check(model, real);
    }
    if (!after(this.fact, model.newest)) {
      expect(events, 'an older or repeated ECS fact is dropped').toEqual([]);
      return check(model, real);
    }
    expect(events).toHaveLength(1);
    const fixture = fixtureOf(model.status);
    const column = ECS_COLUMNS.find((c) => c.label === this.fact.eventName);
    if (!fixture || !column) throw new Error(`no table cell for ${model.status} / ${this.fact.eventName}`);
    const written = cell(fixture.history, column);
    const meaning = meaningOf(this.fact.eventName);
    if (meaning === 'steady' && model.status === 'WORKFLOW_RUNNING') model.steadyDuringRun = true;
    if (meaning !== 'other') model.serviceSteady = meaning === 'steady';
    if (written.startsWith('**')) model.status = written.slice(2, -2) as InstanceStatus;
    model.newest = this.fact;
    if (this.fact.serviceCreatedAt) model.serviceCreatedAt = created;
    await check(model, real);
  }
  toString = () =>
    `Deliver(${this.fact.eventName}@${this.fact.at}#${this.fact.ecsEventId}${this.fact.serviceCreatedAt ? ` created ${this.fact.serviceCreatedAt}` : ''})`;
}

/**
 * When the instance's provisioning is requested (the runner's clock): facts of minutes 0-3 are dated more than
 * ECS_CLOCK_SKEW_MS before it (a destroyed predecessor's, delivered late), minute 4 within the allowance.
 */
const REQUESTED_AT = Date.parse('2026-01-01T00:05:00.000Z');
/** When the instance's service was created (ECS's clock), as the sync may read it: facts before are a predecessor's. */
const SERVICE_CREATED_AT = '2026-01-01T00:08:00.000Z';

const factArb = fc
  .record({
    name: fc.constantFrom(...NAMES),
    minute: fc.integer({ min: 0, max: 30 }),
    id: fc.integer({ min: 0, max: 3 }),
    described: fc.boolean(),
  })
  .map(({ name, minute, id, described }) => ({
    ...ecsFact(name, minute, `ecs-${minute}-${id}-${name}`),
    ...(described ? { serviceCreatedAt: SERVICE_CREATED_AT } : {}),
  }));

describe('instance decider against a model', () => {
  it('records ECS facts once each and in their own order, and one commit and one run, whatever crashes and repeats', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<'succeeded' | 'failed'>('succeeded', 'succeeded', 'failed'),
        fc.commands(
          [
            fc.boolean().map((crash) => new Step(crash)),
            fc.nat().map((n) => new Redeliver(n)),
            fc.constant(null).map(() => new RogueRun()),
            fc.constant(null).map(() => new Resources()),
            factArb.map((fact) => new Deliver(fact)),
            // the same fact delivered again soon after
            factArb.chain((fact) => fc.constant(new Deliver(fact))),
          ],
          { maxCommands: 40 },
        ),
        async (outcome, commands) => {
          const store = new InMemoryEventStore(catalogue);
          const real: Real = {
            store,
            runner: new CommandRunner({ store, clock: () => new Date(REQUESTED_AT), newEventId: ulid }),
            streamId: instanceStream.id(ulid()),
          };
          await run(real, {
            type: 'RequestProvisioning',
            instanceId: ulid(),
            // the tenant SERVICE_ARN names (the outputs must be this instance's service)
            tenantId: '01JD0000000000000000000001',
            environment: 'prod',
            tenantEnvironment: 'prod',
            plan: PLAN,
            albSlot: { alb: 1, priority: 1 },
          });
          const model: Model = {
            status: 'PENDING_PROVISIONING',
            next: 0,
            outcome,
            steadyDuringRun: false,
            serviceSteady: false,
            highestPipeline: 0,
            resources: false,
          };
          await fc.asyncModelRun(() => ({ model, real }), commands);
          // every step delivered until it stuck: provisioning completed exactly once
          while (model.next < 5) await new Step(false).run(model, real);
          await new Redeliver(4).run(model, real);
          const events = await store.readStream(real.streamId);
          expect(events.filter((e) => e.type === 'INSTANCE_COMMITTED')).toHaveLength(1);
          const finals = events.filter(
            (e) => e.type.startsWith('INSTANCE_WORKFLOW_S') || e.type === 'INSTANCE_WORKFLOW_FAILED',
          );
          expect(finals).toHaveLength(1);
        },
      ),
      { numRuns: 300 },
    );
  });
});
