import { readFileSync } from 'node:fs';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { currentScope, type FunctionRole, installSdkEnforcement, isEnforced, runAs } from './enforcement.js';
import { commandChecker, type IamDecision } from './middleware.js';
import type { PolicyDocument } from './policy.js';

const A = 'af-south-1:000000000000';
const decisions: IamDecision[] = [];

function role(functionName: string, statements: PolicyDocument['Statement']): FunctionRole {
  const identity = {
    region: 'af-south-1',
    account: '000000000000',
    roleName: `${functionName}Role`,
    functionName,
  };
  const policies: PolicyDocument[] = [
    { Version: '2012-10-17', Id: `${functionName}-policy`, Statement: statements },
  ];
  return { functionName, check: commandChecker(policies, identity, (d) => decisions.push(d)) };
}

const reader = role('reader', [
  { Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: `arn:aws:dynamodb:${A}:table/events` },
]);
const writer = role('writer', [
  { Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: `arn:aws:dynamodb:${A}:table/events` },
]);

/** Nothing listens on port 9: an allowed call fails to connect, a denied one never leaves the process. */
const config = {
  region: 'af-south-1',
  endpoint: 'http://127.0.0.1:9',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  maxAttempts: 1,
};

installSdkEnforcement();
const client = new DynamoDBClient(config);
const documents = DynamoDBDocumentClient.from(client);
afterAll(() => client.destroy());

const get = () => client.send(new GetItemCommand({ TableName: 'events', Key: { pk: { S: 'a' } } }));
const put = () => client.send(new PutItemCommand({ TableName: 'events', Item: { pk: { S: 'a' } } }));
const errorName = (promise: Promise<unknown>) =>
  promise.then(
    () => 'ok',
    (error: { name?: string; code?: string }) => error.name ?? error.code,
  );
const denied = 'AccessDeniedException';

describe('the invocation role follows the handler through its async work', () => {
  it('checks a call made inside runAs and refuses what the role does not allow, before sending', async () => {
    expect(await errorName(runAs(reader, put))).toBe(denied);
    const allowed = await errorName(runAs(reader, get));
    expect(allowed).not.toBe(denied); // allowed: it went to the network (nothing listens there)
    const error = await runAs(reader, put).catch((e: unknown) => e);
    expect(String(error)).toBe(
      'AccessDeniedException: User: arn:aws:sts::000000000000:assumed-role/readerRole/reader is not authorized to ' +
        `perform: dynamodb:PutItem on resource: arn:aws:dynamodb:${A}:table/events because no identity-based ` +
        'policy allows the dynamodb:PutItem action',
    );
    expect(error).toMatchObject({ $fault: 'client', $metadata: { httpStatusCode: 400 } });
  });

  it('does not check calls outside an invocation (operators, tests, the CLI)', async () => {
    expect(currentScope()).toBeUndefined();
    expect(await errorName(put())).not.toBe(denied);
  });

  it('keeps each concurrent invocation on its own role across timers and awaits', async () => {
    const later = <T>(body: () => Promise<T>) =>
      new Promise<T>((resolve, reject) => setTimeout(() => body().then(resolve, reject), 5));
    const [asReader, asWriter] = await Promise.all([
      runAs(reader, async () => {
        await new Promise((r) => setImmediate(r));
        return [await errorName(later(put)), await errorName(later(get))];
      }),
      runAs(writer, async () => [await errorName(later(put)), await errorName(later(get))]),
    ]);
    expect(asReader).toEqual([denied, expect.not.stringMatching(denied)]);
    expect(asWriter).toEqual([expect.not.stringMatching(denied), denied]);
  });

  it('checks a DocumentClient (sharing its client stack) and any other client class of the SDK', async () => {
    const put = () => documents.send(new PutCommand({ TableName: 'events', Item: { pk: 'a' } }));
    expect(await errorName(runAs(reader, put))).toBe(denied);
    expect(await errorName(runAs(writer, put))).not.toBe(denied);
    const events = new EventBridgeClient(config);
    const send = () =>
      events.send(new PutEventsCommand({ Entries: [{ EventBusName: 'bus', Detail: '{}' }] }));
    expect(await errorName(runAs(writer, send))).toBe(denied);
    events.destroy();
  });

  it('records every decision with the statements that allowed it', async () => {
    decisions.length = 0;
    await errorName(runAs(writer, put));
    expect(decisions).toEqual([
      expect.objectContaining({
        functionName: 'writer',
        action: 'dynamodb:PutItem',
        allowed: true,
        allowedBy: [{ policy: 'writer-policy', statement: 0 }],
      }),
    ]);
  });

  it('covers every SDK client package the project depends on', async () => {
    const manifest = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8'));
    const packages = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies }).filter((name) =>
      /^@aws-sdk\/(client-|lib-)/.test(name),
    );
    expect(packages.length).toBeGreaterThan(3);
    for (const name of packages) {
      const module = (await import(name)) as Record<string, unknown>;
      const clients = Object.entries(module).filter(
        ([key, value]) => /Client$/.test(key) && typeof value === 'function' && 'send' in value.prototype,
      );
      expect(clients.length, name).toBeGreaterThan(0);
      for (const [key, value] of clients) expect(isEnforced(value as object), `${name} ${key}`).toBe(true);
    }
  });
});
