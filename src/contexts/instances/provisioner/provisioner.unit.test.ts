import { createHmac } from 'node:crypto';
import { GetQueueUrlCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { HttpError } from '#src/platform/http/problem.js';
import { secretsManagerCredentials } from './credentials.js';
import { parseRunTitle, runTitle } from './ports.js';
import { resourcesOf } from './resources.js';
import { defaultPollDelay } from './run.js';
import { signingKeys, verifySignature } from './signature.js';
import { sqsFollowUps } from './sqs.follow-ups.js';

const secret = { token: 't', webhookSecret: 'w'.repeat(16), deployOutcomeSecret: 'd'.repeat(16) };

describe('the GitHub credentials from Secrets Manager', () => {
  it('are read once per TTL, again after it, and a failed read is not kept', async () => {
    let now = 0;
    const answers: (() => Promise<unknown>)[] = [
      async () => ({ SecretString: JSON.stringify(secret) }),
      async () => {
        throw new Error('throttled');
      },
      async () => ({ SecretString: JSON.stringify({ ...secret, token: 'rotated' }) }),
    ];
    let reads = 0;
    const client = { send: async () => (answers[reads++] ?? answers[0])?.() } as never;
    const credentials = secretsManagerCredentials(client, 'bbws/x/github', { ttlMs: 1000, now: () => now });
    expect((await credentials()).token).toBe('t');
    now = 999;
    await credentials();
    expect(reads).toBe(1);
    now = 1000;
    await expect(credentials()).rejects.toThrow('throttled');
    expect((await credentials()).token).toBe('rotated');
    expect(reads).toBe(3);
  });

  it('refuses a secret without the three values', async () => {
    const client = { send: async () => ({ SecretString: '{"token":"t"}' }) } as never;
    await expect(secretsManagerCredentials(client, 's')()).rejects.toThrow(/lacks/);
    const none = JSON.stringify({ token: 't', webhookSecret: 'w'.repeat(16), deployOutcomeSecrets: {} });
    const empty = { send: async () => ({ SecretString: none }) } as never;
    await expect(secretsManagerCredentials(empty, 's')()).rejects.toThrow(/lacks/);
  });

  it("gives each environment its own deploy-outcome secret; the single one of before is every other's", async () => {
    const read = (value: object) =>
      secretsManagerCredentials(
        { send: async () => ({ SecretString: JSON.stringify(value) }) } as never,
        's',
      )();
    const own = { dev: 'v'.repeat(16), prod: 'p'.repeat(16) };
    const base = { token: 't', webhookSecret: 'w'.repeat(16) };
    expect((await read({ ...base, deployOutcomeSecrets: own })).deployOutcomeSecrets).toEqual(own);
    expect((await read(secret)).deployOutcomeSecrets).toEqual({
      dev: 'd'.repeat(16),
      sit: 'd'.repeat(16),
      prod: 'd'.repeat(16),
    });
    const mixed = await read({ ...base, deployOutcomeSecret: 'd'.repeat(16), deployOutcomeSecrets: own });
    expect(mixed.deployOutcomeSecrets).toEqual({ ...own, sit: 'd'.repeat(16) });
    await expect(read({ ...base, deployOutcomeSecrets: { qa: 'q'.repeat(16) } })).rejects.toThrow(/lacks/);
  });
});

describe('a webhook signature', () => {
  const body = '{"action":"completed"}';
  const signed = `sha256=${createHmac('sha256', 'k').update(body).digest('hex')}`;
  it('is the HMAC-SHA256 of the exact body', () => {
    expect(verifySignature(body, signed, 'k', 'X-Hub-Signature-256')).toBe(body);
  });
  it.each([
    ['missing', undefined],
    ['of another secret', `sha256=${createHmac('sha256', 'other').update(body).digest('hex')}`],
    ['of another body', `sha256=${createHmac('sha256', 'k').update(`${body} `).digest('hex')}`],
    ['truncated', signed.slice(0, 20)],
    ['SHA-1', `sha1=${createHmac('sha1', 'k').update(body).digest('hex')}`],
  ])('is refused when %s: 401', (_, header) => {
    const attempt = () => verifySignature(body, header, 'k', 'X-Hub-Signature-256');
    expect(attempt).toThrow(HttpError);
    try {
      attempt();
    } catch (error) {
      expect((error as HttpError).status).toBe(401);
    }
  });
});

describe('a signature among per-environment secrets', () => {
  const body = '{"tenantId":"x"}';
  const by = (key: string) => `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
  const secrets = { dev: 'dev-secret', sit: 'sit-secret', prod: 'prod-secret' };
  it('names the environments whose secret signs the body', () => {
    expect(signingKeys(body, by('sit-secret'), secrets, 'X')).toEqual(['sit']);
    expect(signingKeys(body, by('same'), { dev: 'same', prod: 'same' }, 'X')).toEqual(['dev', 'prod']);
  });
  it('is refused (401) when none does', () => {
    expect(() => signingKeys(body, by('other'), secrets, 'X')).toThrow(
      expect.objectContaining({ status: 401 }),
    );
    expect(() => signingKeys(body, undefined, secrets, 'X')).toThrow(
      expect.objectContaining({ status: 401 }),
    );
    expect(() => signingKeys(body, by('x'), {}, 'X')).toThrow(expect.objectContaining({ status: 401 }));
  });
});

describe('the names reconciliation finds', () => {
  it('carry the action, tenant and causing event id', () => {
    const title = runTitle('destroy', '01JD9A0B1C2D3E4F5G6H7J8K9M', '01JEVENT');
    expect(title).toBe('destroy tenant 01JD9A0B1C2D3E4F5G6H7J8K9M [event 01JEVENT]');
    expect(parseRunTitle(title)).toEqual({
      action: 'destroy',
      tenantId: '01JD9A0B1C2D3E4F5G6H7J8K9M',
      eventId: '01JEVENT',
    });
    expect(parseRunTitle('deploy-tenant')).toBeUndefined();
  });
});

describe('following a run', () => {
  it('backs off from 5 s, doubling, never past SQS’s 900 s', () => {
    expect([0, 1, 2, 7, 8, 20].map(defaultPollDelay)).toEqual([5, 10, 20, 640, 900, 900]);
  });

  it('sends delayed messages, looking the queue URL up once', async () => {
    const sent: unknown[] = [];
    const sqs = {
      send: async (command: unknown) => {
        sent.push(command);
        return command instanceof GetQueueUrlCommand ? { QueueUrl: 'http://q/1/follow' } : {};
      },
    } as never;
    const schedule = sqsFollowUps(sqs, 'bbws-provisioner-follow-x');
    const followUp = {
      instanceId: 'i',
      tenantId: 't',
      change: 1,
      runId: 2,
      action: 'apply' as const,
      eventId: 'e',
      correlationId: 'c',
      attempt: 0,
    };
    await schedule(followUp, 5);
    await schedule(followUp, 5000);
    expect(sent.filter((c) => c instanceof GetQueueUrlCommand)).toHaveLength(1);
    const delays = sent
      .filter((c): c is SendMessageCommand => c instanceof SendMessageCommand)
      .map((c) => c.input.DelaySeconds);
    expect(delays).toEqual([5, 900]);
  });
});

describe("the folder's outputs as resources", () => {
  it('maps the outputs, and refuses (422 naming the output) a missing service ARN or an invalid output', () => {
    const arn = 'arn:aws:ecs:af-south-1:000000000000:service/bbws-dev/bbws-dev-tenant-x';
    expect(resourcesOf({ service_arn: arn, service_name: 'bbws-dev-tenant-x', tenant_id: 'x' })).toEqual({
      serviceArn: arn,
      serviceName: 'bbws-dev-tenant-x',
    });
    expect(() => resourcesOf({})).toThrow(expect.objectContaining({ field: 'outputs.service_arn' }));
    expect(() => resourcesOf({ service_arn: 'not an arn' })).toThrow(
      expect.objectContaining({ field: 'outputs.service_arn', code: 'invalid_output' }),
    );
    expect(() => resourcesOf({ service_arn: arn, target_group_arn: 3 })).toThrow(
      expect.objectContaining({ field: 'outputs.target_group_arn' }),
    );
  });
});
