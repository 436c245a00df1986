import type { z } from 'zod';
import type { AlbSlot } from '../terraform/input.js';
import type { EcsFact, InstanceEnvironment, Resources } from './instance.events.js';

/** A plan as the decider takes it: resolved from the plans catalogue by the caller (the domain reads no catalogue). */
export interface PlanTierRef {
  planId: string;
  version: number;
  tier: {
    cpu: number;
    memoryMiB: number;
    desiredCount: number;
    minCount: number;
    maxCount: number;
    storageGiB: number;
  };
  environments: readonly string[];
}

/** What the provisioner reports, each step for one change (by number). */
export type StepCommand =
  | { type: 'RecordCommitStarted'; change: number }
  | {
      type: 'RecordCommit';
      change: number;
      commitSha: string;
      changed: boolean;
      /** The folder was generated while SUSPENDED (0/0); absent: the tier's counts. */
      suspended?: boolean | undefined;
    }
  | { type: 'RecordWorkflowQueued'; change: number; runId: number; runUrl: string }
  | { type: 'RecordWorkflowRunning'; change: number; runId: number; runUrl: string }
  | {
      type: 'RecordWorkflowOutcome';
      change: number;
      runId?: number | undefined;
      outcome: 'succeeded' | 'failed';
      /** GitHub's conclusion, or the provisioner's own for a failure before a run (`check_failed`). */
      conclusion: string;
      reason?: string | undefined;
    }
  | { type: 'RecordResources'; change: number; resources: z.infer<typeof Resources> }
  | { type: 'RecordDeprovisioned'; change: number; commitSha?: string | undefined };

export type InstanceCommand =
  | {
      type: 'RequestProvisioning';
      instanceId: string;
      tenantId: string;
      environment: InstanceEnvironment;
      /** The tenant's own environment: instances go there and below (dev < sit < prod). */
      tenantEnvironment: InstanceEnvironment;
      plan: PlanTierRef;
      albSlot: AlbSlot;
    }
  | { type: 'ApplyPlanTier'; plan: PlanTierRef }
  | { type: 'Scale'; desiredCount: number }
  | { type: 'Suspend'; reason: string }
  | { type: 'Resume' }
  | { type: 'RetryProvisioning' }
  | { type: 'Deprovision'; reason: string }
  | { type: 'RecordEcsEvent'; fact: EcsFact }
  | StepCommand;
