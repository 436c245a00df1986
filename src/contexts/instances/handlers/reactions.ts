import { consumerDependencies } from '#src/platform/consumers/consumer-wiring.js';
import { sqsConsumer } from '#src/platform/consumers/sqs-consumer.js';
import { tenantReactionsDependencies } from '../ecs/wiring.js';
import { tenantReactions } from '../reactions/tenant-reactions.js';

/** instanceTenantReactions: TENANT_PARKED / UNPARKED / DELETED, PLAN_CHANGED -> each live instance's command. */
export const handler = sqsConsumer(tenantReactions(tenantReactionsDependencies), consumerDependencies);
