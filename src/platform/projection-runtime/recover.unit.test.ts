import { describe, expect, it } from 'vitest';
import { failureWindows, WINDOW_MARGIN_MS } from './recover.js';

/** Lambda's on-failure record for a DynamoDB stream batch (the fields `bbws recover` reads). */
const message = (fn: string, first: string, last: string) => ({
  version: '1.0',
  timestamp: '2026-11-28T10:00:00.000Z',
  requestContext: {
    condition: 'RetryAttemptsExhausted',
    approximateInvokeCount: 21,
    functionArn: `arn:aws:lambda:af-south-1:123456789012:function:bbws-control-plane-prod-${fn}`,
  },
  DDBStreamBatchInfo: {
    shardId: 'shardId-1',
    startSequenceNumber: '100',
    endSequenceNumber: '200',
    approximateArrivalOfFirstRecord: first,
    approximateArrivalOfLastRecord: last,
    batchSize: 100,
    streamArn: 'arn:aws:dynamodb:af-south-1:123456789012:table/bbws-event-store-prod/stream/x',
  },
});

describe('bbws recover: the windows of on-failure messages', () => {
  it('reads `aws sqs receive-message` output, widens each window and names the consumer', () => {
    const output = {
      Messages: [
        { Body: JSON.stringify(message('eventPublisher', '2026-11-28T09:00:00Z', '2026-11-28T09:00:05Z')) },
        {
          Body: JSON.stringify(
            message('projectionDispatcher', '2026-11-28T09:10:00Z', '2026-11-28T09:10:01Z'),
          ),
        },
      ],
    };
    expect(failureWindows(output)).toEqual([
      {
        since: new Date(Date.parse('2026-11-28T09:00:00Z') - WINDOW_MARGIN_MS),
        until: new Date(Date.parse('2026-11-28T09:00:05Z') + WINDOW_MARGIN_MS),
        consumer: 'eventPublisher',
      },
      {
        since: new Date(Date.parse('2026-11-28T09:10:00Z') - WINDOW_MARGIN_MS),
        until: new Date(Date.parse('2026-11-28T09:10:01Z') + WINDOW_MARGIN_MS),
        consumer: 'projections',
      },
    ]);
  });

  it('reads a message body alone or a list of them, and refuses anything else', () => {
    const body = message('eventPublisher', '2026-11-28T09:00:00Z', '2026-11-28T09:00:00Z');
    expect(failureWindows(body)).toHaveLength(1);
    expect(failureWindows([body, body])).toHaveLength(2);
    expect(() => failureWindows({ hello: 'world' })).toThrow(/not an on-failure message/);
  });
});
