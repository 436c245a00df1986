import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { EventEnvelope } from '#src/platform/event-store/event-store.port.js';
import type { IdentityDirectory } from '#src/platform/identity/identity.port.js';
import type { Permission } from '#src/platform/infra/definitions.js';

/** An event of a stream holding values of the data subject, and which of its fields are theirs. */
export interface SubjectMention {
  streamId: string;
  /** As the store reads it: the subject's values in plain while they live, placeholders once erased. */
  event: EventEnvelope;
  /** The subject's fields in it (paths as in `EventEnvelope.subjects`). */
  paths: readonly string[];
}

/** What the platform gives a context's handler: the identity directory and the tables of the stage. */
export interface PersonalDataDependencies {
  identity: IdentityDirectory;
  client: DynamoDBDocumentClient;
  /** A table's name on this stage, by logical id. */
  table(logicalId: string): string;
}

/**
 * What a bounded context registers (`BoundedContext.personalData`) for the copies of a person's data it keeps
 * outside the event table — Cognito's user, later WordPress users or order records. The platform calls `export`
 * for an access request and `erase` from the erasure process, once every stream holding the person's data is
 * marked; both get the events naming the person (erased by then: the non-personal fields, user ids say, still
 * read). A record the law requires to be kept (a tax invoice: SARS, five years) is not erased here: its handler
 * reports it and restricts access to it (docs/operations.md, "Erasure").
 */
export interface PersonalDataHandler {
  /** Where the copies live, for the export and the erasure's report: `identity directory`. */
  holder: string;
  /** The person's records there, as the context shows them (an access request's answer); [] when none. */
  export(
    subjectId: string,
    mentions: readonly SubjectMention[],
    deps: PersonalDataDependencies,
  ): Promise<unknown[]>;
  /** Erases them; idempotent (a retried erasure calls it again). Returns how many records it erased. */
  erase(
    subjectId: string,
    mentions: readonly SubjectMention[],
    deps: PersonalDataDependencies,
  ): Promise<number>;
  /** What the privacy API needs to call `export`, and the erasure process to call `erase`. */
  permissions: { export: readonly Permission[]; erase: readonly Permission[] };
}
