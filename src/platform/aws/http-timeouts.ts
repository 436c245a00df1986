import type { Agent } from 'node:http';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/** The AWS services the platform's clients call (and the local runtime's stand-ins of them). */
export type AwsService =
  | 'dynamodb'
  | 'dynamodbStreams'
  | 'eventbridge'
  | 'cognito'
  | 'kms'
  | 'secretsmanager'
  | 'sqs';

export interface Timeouts {
  /** Establishing the TCP (and TLS) connection. */
  connectionMs: number;
  /**
   * The whole request and its response; also the longest a socket may stay silent. Each of the SDK's attempts
   * (3 by default) gets this long, so a call that never answers fails within about 3 x this plus backoff.
   */
  requestMs: number;
}

/**
 * Per service, what a healthy call needs with a wide margin: a dependency that hangs (a black-holed endpoint, a
 * connection that never answers) then fails as a TimeoutError, which the consumers treat as transient, instead of
 * holding an invocation until Lambda's timeout. Without them the SDK waits for ever (the local clients) or for
 * its 5-minute socket default.
 * - DynamoDB: single-item calls answer in milliseconds and a 100-item transaction or a 1 MB page well under a
 *   second; 3 s.
 * - EventBridge: PutEvents of up to 256 KB; 5 s.
 * - Cognito (admin calls of the identity sync) and KMS (data keys): 5 s and 3 s.
 * - Secrets Manager (GetSecretValue of the provisioner's credentials, cached): 3 s.
 * - SQS: ReceiveMessage long-polls up to 20 s, so 25 s.
 * - DynamoDB Streams (the local runtime's pollers): 5 s.
 */
export const AWS_TIMEOUTS: Readonly<Record<AwsService, Timeouts>> = {
  dynamodb: { connectionMs: 1000, requestMs: 3000 },
  dynamodbStreams: { connectionMs: 1000, requestMs: 5000 },
  eventbridge: { connectionMs: 1000, requestMs: 5000 },
  cognito: { connectionMs: 1000, requestMs: 5000 },
  kms: { connectionMs: 1000, requestMs: 3000 },
  secretsmanager: { connectionMs: 1000, requestMs: 3000 },
  sqs: { connectionMs: 1000, requestMs: 25_000 },
};

/**
 * Against a local stand-in (an endpoint is given: DynamoDB Local, the local EventBridge, ...): the same bound on
 * a hang, but room for a busy developer machine, where DynamoDB Local (a JVM) can take seconds to answer a
 * transaction while tests run beside it.
 */
export const LOCAL_TIMEOUTS: Readonly<Record<AwsService, Timeouts>> = {
  dynamodb: { connectionMs: 2000, requestMs: 10_000 },
  dynamodbStreams: { connectionMs: 2000, requestMs: 10_000 },
  eventbridge: { connectionMs: 2000, requestMs: 10_000 },
  cognito: { connectionMs: 2000, requestMs: 10_000 },
  kms: { connectionMs: 2000, requestMs: 10_000 },
  secretsmanager: { connectionMs: 2000, requestMs: 10_000 },
  sqs: { connectionMs: 2000, requestMs: 25_000 },
};

export interface RequestHandlerOptions {
  /** An endpoint override (a local stand-in): LOCAL_TIMEOUTS. */
  local?: boolean;
  httpAgent?: Agent;
  /** Tests: other figures. */
  timeouts?: Partial<Timeouts>;
}

/**
 * The request handler of every client the platform builds: connection and request timeouts for the service, the
 * request timeout thrown as a TimeoutError (in this version of @smithy/node-http-handler a bare `requestTimeout`
 * only logs a warning: `throwOnRequestTimeout` makes it an error), and the same figure as the socket's idle
 * timeout (a response that stalls half-way).
 */
export function requestHandler(service: AwsService, options: RequestHandlerOptions = {}): NodeHttpHandler {
  const timeouts = { ...(options.local ? LOCAL_TIMEOUTS : AWS_TIMEOUTS)[service], ...options.timeouts };
  return new NodeHttpHandler({
    connectionTimeout: timeouts.connectionMs,
    requestTimeout: timeouts.requestMs,
    throwOnRequestTimeout: true,
    socketTimeout: timeouts.requestMs,
    ...(options.httpAgent ? { httpAgent: options.httpAgent } : {}),
  });
}
