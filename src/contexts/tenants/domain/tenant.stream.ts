import { streamCategory } from '#src/platform/domain/stream-id.js';

/** A tenant's stream: `tenant-<tenantId>`. Route ids are `tenantStream.idSchema`, so every valid id makes a stream id. */
export const tenantStream = streamCategory('tenant');
