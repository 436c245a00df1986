import type { Logger } from '@aws-lambda-powertools/logger';
import { z } from 'zod';
import { planOf } from '#src/contexts/plans/index.js';
import { type TenantFacts, tenantFactsOf, tenantStream } from '#src/contexts/tenants/index.js';
import type { CommandRunner } from '#src/platform/command/command-runner.js';
import type { Dependency } from '#src/platform/command/dependency.js';
import type { ConsumedEvent, Consumer } from '#src/platform/consumers/consumer.js';
import { IllegalStateError } from '#src/platform/domain/errors.js';
import type { EventStore, LoadResult } from '#src/platform/event-store/event-store.port.js';
import type { InstanceCommand } from '../domain/instance.commands.js';
import { instanceDecider } from '../domain/instance.decider.js';
import { ENVIRONMENTS, instanceKey } from '../domain/placement.js';

/** Only which tenant matters: what to do is read from the tenant's head (the event may be old, or repeated). */
const Any = z.object({});
const events = { TENANT_PARKED: Any, TENANT_UNPARKED: Any, TENANT_DELETED: Any, PLAN_CHANGED: Any };
export type TenantTrigger = keyof typeof events;

/**
 * The instance command a tenant event calls for, decided on the tenant's head, never on the event alone: a
 * TENANT_PARKED delivered after the TENANT_UNPARKED that followed it must not suspend an unparked tenant's
 * instances. Undefined: nothing to do (the head says the event is stale).
 */
export function reactionOf(
  trigger: TenantTrigger,
  tenant: TenantFacts | undefined,
): InstanceCommand | undefined {
  if (!tenant) return undefined;
  switch (trigger) {
    case 'TENANT_PARKED':
      return tenant.status === 'PARKED' ? { type: 'Suspend', reason: 'tenant parked' } : undefined;
    case 'TENANT_UNPARKED':
      return tenant.status === 'ACTIVE' ? { type: 'Resume' } : undefined;
    case 'TENANT_DELETED':
      return tenant.status === 'DELETED' ? { type: 'Deprovision', reason: 'tenant deleted' } : undefined;
    case 'PLAN_CHANGED': {
      if (tenant.status === 'DELETED') return undefined;
      const plan = planOf(tenant.planId);
      const { planId, version, tier, environments } = plan;
      return { type: 'ApplyPlanTier', plan: { planId, version, tier, environments } };
    }
    default:
      return trigger satisfies never;
  }
}

/** Refusals that mean the instance is already where the reaction would take it (README, "Who issues which command"). */
const DONE = new Set(['instance_deleted', 'instance_deprovisioning']);

export interface TenantReactionsDependencies {
  store: Pick<EventStore, 'load' | 'reservationHolder'>;
  runner: Pick<CommandRunner, 'run'>;
}

/**
 * The reactions to tenant events (design: the tenant-lifecycle rule): park suspends, unpark resumes, delete
 * deprovisions, a plan change applies the plan's tier, to each of the tenant's live instances (found by their
 * `instance:<tenant>:<env>` reservations, read consistently: no read model). Platform commands: no dependency
 * on the tenant's stream. Each command is idempotent in the decider, so a repeat appends nothing.
 */
export function tenantReactions(deps: () => TenantReactionsDependencies) {
  return {
    name: 'instanceTenantReactions',
    // The decider makes every command idempotent and the head makes order irrelevant: no ledger needed.
    deduplicate: false,
    events,
    async handle(event, { logger }) {
      const { store } = deps();
      const tenantId = tenantStream.parse(event.streamId);
      const loaded = await store.load(tenantStream.id(tenantId));
      const command = reactionOf(event.type, tenantFactsOf(loaded));
      if (!command) {
        logger.info('nothing to do: the tenant has moved on', { tenantId, version: loaded.version });
        return;
      }
      const failures: unknown[] = [];
      for (const environment of ENVIRONMENTS) {
        const streamId = await store.reservationHolder(instanceKey(tenantId, environment));
        if (!streamId) continue;
        const target = { event, tenantId, streamId, command, tenant: loaded };
        await runOne(deps(), target, logger).catch((e) => failures.push(e));
      }
      // Every instance was tried; a retry does the failed ones again (the others' commands are then no-ops).
      if (failures.length > 0)
        throw new AggregateError(failures, `${failures.length} instance command(s) failed`);
    },
  } satisfies Consumer<typeof events>;
}

interface Target {
  event: ConsumedEvent<typeof events>;
  /** The tenant's stream as the command was chosen on it. */
  tenant: LoadResult;
  tenantId: string;
  streamId: string;
  command: InstanceCommand;
}

async function runOne(deps: TenantReactionsDependencies, target: Target, logger: Logger): Promise<void> {
  const { event, tenantId, streamId, command } = target;
  try {
    const outcome = await deps.runner.run({
      decider: instanceDecider,
      streamId,
      command,
      dependsOn: [stillCalledFor(event.type, command, target)],
      metadata: {
        correlationId: event.correlationId,
        causationId: event.eventId,
        actor: 'tenant-reactions',
        tenantId,
      },
      result: ({ version }) => version,
    });
    logger.info('instance command run', { streamId, command: command.type, appended: outcome.events.length });
  } catch (error) {
    if (error instanceof StaleReactionError) {
      logger.info('the tenant moved on meanwhile: its newer event acts', { streamId, command: command.type });
      return;
    }
    if (error instanceof IllegalStateError && DONE.has(error.code)) {
      logger.info('already done', { streamId, command: command.type, code: error.code });
      return;
    }
    logger.error('instance command refused', { streamId, command: command.type, error: String(error) });
    throw error;
  }
}

/** The tenant's head no longer calls for the command (it moved while the command was being run). */
class StaleReactionError extends Error {
  override readonly name = 'StaleReactionError';
}

/**
 * Not an authorisation (a platform command proceeds whatever the tenant's status): a condition on the tenant's
 * head. The command was chosen on one head; if the tenant moves before the append (unparked while a suspend is
 * being written), the runner loads it again and this check drops the command, so an older event's command can
 * never land after a newer event's and undo it.
 */
function stillCalledFor(trigger: TenantTrigger, command: InstanceCommand, target: Target): Dependency {
  return {
    streamId: tenantStream.id(target.tenantId),
    loadOptions: {},
    loaded: target.tenant,
    check(current) {
      if (JSON.stringify(reactionOf(trigger, tenantFactsOf(current))) !== JSON.stringify(command))
        throw new StaleReactionError(`tenant ${target.tenantId} no longer calls for ${command.type}`);
    },
  };
}
