import { GetQueueUrlCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { ScheduleFollowUp } from './ports.js';

/** SQS's longest per-message delay. */
export const MAX_DELAY_SECONDS = 900;

/** Follow-ups as delayed SQS messages on the follow-up queue (its URL looked up once per process). */
export function sqsFollowUps(sqs: Pick<SQSClient, 'send'>, queueName: string): ScheduleFollowUp {
  let url: Promise<string> | undefined;
  const queueUrl = () => {
    url ??= sqs.send(new GetQueueUrlCommand({ QueueName: queueName })).then((out) => {
      if (!out.QueueUrl) throw new Error(`no URL for queue ${queueName}`);
      return out.QueueUrl;
    });
    url.catch(() => {
      url = undefined;
    });
    return url;
  };
  return async (followUp, delaySeconds) => {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: await queueUrl(),
        MessageBody: JSON.stringify(followUp),
        DelaySeconds: Math.max(0, Math.min(MAX_DELAY_SECONDS, Math.round(delaySeconds))),
      }),
    );
  };
}
