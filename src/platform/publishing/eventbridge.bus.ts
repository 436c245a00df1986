import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { BusEntry } from './integration-events.js';
import type { EventBus } from './publisher.js';

/** The EventBridge API: AWS, or the local runtime's EventBridge-API server on 127.0.0.1. */
export class EventBridgeBus implements EventBus {
  constructor(private readonly client: EventBridgeClient) {}

  static connect(region: string, endpoint?: string): EventBridgeBus {
    return new EventBridgeBus(
      new EventBridgeClient(
        endpoint
          ? { region, endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
          : { region },
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
