import { type AlbSlot, PRIORITIES_PER_TENANT } from '../terraform/input.js';
import type { InstanceEnvironment } from './instance.events.js';

/**
 * Where an instance may run and where it sits behind an ALB. Pure: the ALB slot is chosen by trying slots in the
 * order `slotCandidates` gives (src/contexts/instances/api), and a reservation per slot makes two instances never
 * share one.
 */

const LADDER: readonly InstanceEnvironment[] = ['dev', 'sit', 'prod'];

/**
 * A tenant may have instances in its own environment and in each one below it (dev < sit < prod): where site
 * promotion will move sites. A prod tenant: dev, sit, prod; sit: dev, sit; dev: dev.
 */
export const environmentsBelow = (tenantEnvironment: InstanceEnvironment): InstanceEnvironment[] =>
  LADDER.slice(0, LADDER.indexOf(tenantEnvironment) + 1);

/** The environments an instance may be created in: the tenant's ladder, and only those its plan includes. */
export const allowedEnvironments = (
  tenantEnvironment: InstanceEnvironment,
  planEnvironments: readonly string[],
): InstanceEnvironment[] => environmentsBelow(tenantEnvironment).filter((e) => planEnvironments.includes(e));

/**
 * ALB quotas: at most 100 target groups per ALB (not adjustable) and 100 listener rules by default (adjustable).
 * A tenant's folder takes a target group and up to PRIORITIES_PER_TENANT (4) listener rules (one on X-Tenant-Id,
 * one per three site domains: terraform/README.md), so an ALB holds min(100, floor(rules / 4)) instances: 25 at
 * the default quota. Raising the rule quota adds slots to each ALB without moving any existing one (a slot is
 * keyed by its ALB and priority, not by its index).
 */
export const TARGET_GROUPS_PER_ALB = 100;
export const DEFAULT_LISTENER_RULES_PER_ALB = 100;

export interface AlbCapacity {
  /** ALBs the environment's shared stack runs (`alb_listener_arns` "1".."n"). */
  albs: number;
  listenerRulesPerAlb: number;
}

/**
 * ALBs per environment, as the shared stacks deploy them. Change it with the stack (a new ALB first, then here):
 * the control plane only allocates slots on ALBs that exist.
 */
export const ALB_CAPACITY: Readonly<Record<InstanceEnvironment, AlbCapacity>> = {
  dev: { albs: 2, listenerRulesPerAlb: DEFAULT_LISTENER_RULES_PER_ALB },
  sit: { albs: 2, listenerRulesPerAlb: DEFAULT_LISTENER_RULES_PER_ALB },
  prod: { albs: 8, listenerRulesPerAlb: DEFAULT_LISTENER_RULES_PER_ALB },
};

export const slotsPerAlb = ({ listenerRulesPerAlb }: Pick<AlbCapacity, 'listenerRulesPerAlb'>): number =>
  Math.min(TARGET_GROUPS_PER_ALB, Math.floor(listenerRulesPerAlb / PRIORITIES_PER_TENANT));

/** Every slot of the environment, in the order they are tried: the first ALB's blocks first, lowest priority first. */
export function* albSlots(capacity: AlbCapacity): Generator<AlbSlot> {
  const perAlb = slotsPerAlb(capacity);
  for (let alb = 1; alb <= capacity.albs; alb++) {
    for (let block = 0; block < perAlb; block++) yield { alb, priority: 1 + block * PRIORITIES_PER_TENANT };
  }
}

/** The reservation that makes a slot one instance's: `alb:<environment>:<alb>:<priority>`. */
export const ALB_SLOT_KEY_PREFIX = 'alb:';
export const albSlotKey = (environment: InstanceEnvironment, slot: AlbSlot): string =>
  `${ALB_SLOT_KEY_PREFIX}${environment}:${slot.alb}:${slot.priority}`;

/** One instance per tenant and environment: `instance:<tenantId>:<environment>`. */
export const INSTANCE_KEY_PREFIX = 'instance:';
export const instanceKey = (tenantId: string, environment: InstanceEnvironment): string =>
  `${INSTANCE_KEY_PREFIX}${tenantId}:${environment}`;

/** The ECS service ARN -> instance mapping the state sync reads: `ecs-service:<serviceArn>`. */
export const SERVICE_KEY_PREFIX = 'ecs-service:';
export const serviceKey = (serviceArn: string): string => `${SERVICE_KEY_PREFIX}${serviceArn}`;

export const ENVIRONMENTS = LADDER;

/**
 * A stable 32-bit hash of a string: FNV-1a over its UTF-16 code units, then murmur3's finaliser, so ids that differ
 * only in their last characters (ULIDs of one millisecond) still land far apart. Pure and the same in every process.
 */
export function stableHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/**
 * The order to try slots in: every slot of the environment exactly once. The slots a (possibly lagging) read model
 * shows free come first, starting at an offset given by `spreadKey` (the tenant id: stableHash modulo the free
 * count) and wrapping round; those it shows taken come last, in order. So concurrent creates in one environment
 * start their searches apart instead of all racing for the first free slot, and one tenant's retry starts where
 * its first try did. A stale hint costs one refused transaction per slot it got wrong, never a shared slot: the
 * slot's reservation decides.
 */
export function slotCandidates(
  capacity: AlbCapacity,
  heldHint: readonly AlbSlot[],
  spreadKey: string,
): AlbSlot[] {
  const held = new Set(heldHint.map((slot) => `${slot.alb}:${slot.priority}`));
  const all = [...albSlots(capacity)];
  const isHeld = (slot: AlbSlot) => held.has(`${slot.alb}:${slot.priority}`);
  const free = all.filter((slot) => !isHeld(slot));
  const start = free.length === 0 ? 0 : stableHash(spreadKey) % free.length;
  return [...free.slice(start), ...free.slice(0, start), ...all.filter(isHeld)];
}
