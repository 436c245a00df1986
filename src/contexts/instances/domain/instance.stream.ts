import { streamCategory } from '#src/platform/domain/stream-id.js';

/** An instance's stream: `instance-<instanceId>` (a ULID; a re-created instance is a new stream). */
export const instanceStream = streamCategory('instance', { field: 'instanceId' });
