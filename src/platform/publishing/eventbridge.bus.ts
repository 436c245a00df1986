import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { requestHandler, type Timeouts } from '#src/platform/aws/http-timeouts.js';
import type { BusEntry } from './integration-events.js';
import type { EventBus } from './publisher.js';

/** The EventBridge API: AWS, or the local runtime's EventBridge-API server on 127.0.0.1. */
export class EventBridgeBus implements EventBus {
  constructor(private readonly client: EventBridgeClient) {}

  /** With EventBridge's timeouts (http-timeouts.ts): a bus that does not answer fails as a TimeoutError. */
  static connect(region: string, endpoint?: string, timeouts?: Partial<Timeouts>): EventBridgeBus {
    const handler = requestHandler('eventbridge', {
      local: endpoint !== undefined,
      ...(timeouts ? { timeouts } : {}),
    });
    return new EventBridgeBus(
      new EventBridgeClient(
        endpoint
          ? {
              region,
              endpoint,
              credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
              requestHandler: handler,
            }
          : { region, requestHandler: handler },
      ),
    );
  }

  async putEvents(entries: BusEntry[]): ReturnType<EventBus['putEvents']> {
    const out = await this.client.send(new PutEventsCommand({ Entries: entries }));
    return entries.map((_, i) => ({
      errorCode: out.Entries?.[i]?.ErrorCode,
      errorMessage: out.Entries?.[i]?.ErrorMessage,
    }));
  }
}
