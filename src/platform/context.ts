import type { Decider, DomainEvent } from '#src/platform/domain/decider.js';
import type { Projection } from '#src/platform/domain/projection.js';
import type { EventDefinition } from '#src/platform/event-store/catalogue.js';
import type { Deployables } from '#src/platform/infra/definitions.js';
import type { PersonalDataHandler } from '#src/platform/privacy/data-subjects/personal-data-handler.js';

/**
 * Everything the platform needs from one bounded context, exported by its `index.ts` and listed once in
 * src/contexts/index.ts: the event catalogue, the projections, the CLI's deciders, the routes (and with them
 * the OpenAPI document) and what it deploys are all built from these.
 */
export interface BoundedContext extends Deployables {
  /** The context's folder under src/contexts, projections and migrations. */
  name: string;
  events: readonly EventDefinition[];
  /** The aggregates whose streams this context writes, by stream category (`tenant` for `tenant-...`). */
  aggregates: Readonly<Record<string, Decider<never, DomainEvent, unknown>>>;
  /** Every version of every projection of the context; which one readers use is the registry's business. */
  projections: readonly Projection[];
  /**
   * How the context exports and erases the copies of a person's data it keeps outside the event table (Cognito's
   * user, WordPress users, order records); none when it keeps none (docs/architecture.md, "Erasure").
   */
  personalData?: PersonalDataHandler;
  /**
   * The context's local stand-ins (`npm start` and runtime tests only), as `<module path without extension>.<export>`
   * of a {@link StartLocalStandIns}: a path, not a function, so no Lambda bundle that imports this context's index
   * pulls them in. The local runtime starts them before any handler loads and merges their environment in.
   */
  local?: string;
}

/** What the local runtime gives a context's stand-ins. */
export interface LocalStandInsEnvironment {
  stage: string;
  region: string;
  account: string;
  /** The runtime's state folder: stand-ins keep what must survive a restart under it. */
  stateDir: string;
  /** The local HTTP API (listening once the runtime has started), where stand-ins send webhooks. */
  httpUrl: string;
  /** Sends an event as an AWS service does: onto the account's default bus (the local EventBridge). */
  putServiceEvent(event: {
    source: string;
    detailType: string;
    resources: readonly string[];
    detail: unknown;
    time?: Date;
    /** The event's id: the same for a redelivery of one event (AWS keeps it); absent: a new one. */
    id?: string;
    /**
     * The account it happened in: a workload account's events arrive forwarded from its default bus, keeping
     * their account (absent: the control plane's).
     */
    account?: string;
  }): void;
  log(line: string): void;
}

export interface LocalStandIns {
  /** Merged into the functions' environment (endpoints, local credentials). */
  environment: Record<string, string>;
  describe(): string[];
  stop(): Promise<void>;
}

export type StartLocalStandIns = (environment: LocalStandInsEnvironment) => Promise<LocalStandIns>;
