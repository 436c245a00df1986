import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { InMemoryStorage } from '#src/platform/event-store/in-memory.event-store.js';
import { dataSubjectStream } from './data-subject.stream.js';

/**
 * Every stream whose stored events name a data subject (a sealed value carries its subject id), read from the
 * event table itself: what the erasure process marks. Not the index: the index lags the stream and may hold a
 * stream parked for it, and an erasure must not miss a stream because a projection had not seen it yet. The
 * subject's own stream (`datasubject-...`, which names the id but holds no personal data) is left out.
 */
export interface SubjectStreams {
  streamsNaming(subjectId: string): Promise<string[]>;
}

const SEGMENTS = 4;

/**
 * A parallel Scan of the event table, returning only the keys of commit items whose events contain the subject
 * id. It reads the whole table (read capacity in proportion to its size, once per erasure): erasures are rare,
 * and nothing but the table itself is complete.
 */
export function dynamoSubjectStreams(client: DynamoDBDocumentClient, tableName: string): SubjectStreams {
  return {
    async streamsNaming(subjectId) {
      const found = new Set<string>();
      await Promise.all(
        Array.from({ length: SEGMENTS }, async (_, segment) => {
          let ExclusiveStartKey: Record<string, unknown> | undefined;
          do {
            const page = await client.send(
              new ScanCommand({
                TableName: tableName,
                Segment: segment,
                TotalSegments: SEGMENTS,
                ProjectionExpression: 'pk',
                FilterExpression: 'sk > :zero AND contains(ev, :subject) AND NOT begins_with(pk, :own)',
                ExpressionAttributeValues: {
                  ':zero': 0,
                  ':subject': subjectId,
                  ':own': `${dataSubjectStream.category}-`,
                },
                ExclusiveStartKey,
              }),
            );
            for (const item of page.Items ?? []) found.add(String(item.pk));
            ExclusiveStartKey = page.LastEvaluatedKey;
          } while (ExclusiveStartKey);
        }),
      );
      return [...found].sort();
    },
  };
}

/** The same over an in-memory store's storage (tests). */
export function inMemorySubjectStreams(storage: InMemoryStorage): SubjectStreams {
  return {
    async streamsNaming(subjectId) {
      return [...storage.streams]
        .filter(([streamId, stream]) => {
          if (dataSubjectStream.owns(streamId)) return false;
          return stream.events.some((event) => event.d.includes(subjectId));
        })
        .map(([streamId]) => streamId)
        .sort();
    },
  };
}
