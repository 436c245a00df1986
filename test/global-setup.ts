process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { dynamoClient } from '#src/platform/aws/dynamodb-client.js';
import { createTables } from '#src/platform/infra/create-tables.js';
import { type RunningDynamoDb, startDynamoDbLocal } from '#src/platform/local/dynamodb-local.js';
import { IAM_DECISIONS_ENV } from '#src/platform/local/iam/function-roles.js';

export const TEST_STAGE = 'test';

let dynamo: RunningDynamoDb | undefined;
let ownDecisionsDir: string | undefined;

/**
 * Where every local runtime of the run (in any worker process: they inherit the environment) appends its IAM
 * decisions. `npm test` names the folder and runs scripts/iam-coverage.mjs on it after vitest; otherwise the run
 * gets a temporary one, removed at the end.
 */
function decisionsFolder(): void {
  const given = process.env[IAM_DECISIONS_ENV];
  if (given) {
    mkdirSync(given, { recursive: true });
    return;
  }
  ownDecisionsDir = mkdtempSync(join(tmpdir(), 'bbws-iam-decisions-'));
  process.env[IAM_DECISIONS_ENV] = ownDecisionsDir;
}

/** One DynamoDB Local for the whole run, tables created first (late stream tables are slow, see toolchain.md). */
export async function setup(project: TestProject): Promise<void> {
  decisionsFolder();
  dynamo = await startDynamoDbLocal();
  const client = dynamoClient({ region: 'af-south-1', endpoint: dynamo.endpoint });
  await createTables(client, TEST_STAGE);
  client.destroy();
  project.provide('dynamoEndpoint', dynamo.endpoint);
}

export async function teardown(): Promise<void> {
  await dynamo?.stop();
  if (ownDecisionsDir) rmSync(ownDecisionsDir, { recursive: true, force: true });
}

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
  }
}
