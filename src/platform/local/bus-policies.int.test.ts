import { describe, expect, it } from 'vitest';
import { busPutters } from './bus-policies.js';
import { LocalEventBridge, type LocalRule } from './eventbridge-server.js';
import {
  LOCAL_TEMPLATE_PARAMETERS,
  LOCAL_WORKLOAD_ACCOUNT_IDS,
  PACKAGED_STAGE,
} from './iam/function-roles.js';
import { type CloudFormationTemplate, packagedTemplate } from './iam/packaged-template.js';

const ROOT = process.cwd();

const policy = (statement: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  Resources: {
    Policy: {
      Type: 'AWS::Events::EventBusPolicy',
      Properties: { EventBusName: 'default', StatementId: 'sid', Statement: statement, ...extra },
    },
  },
});
const allow = (principal: unknown) => ({
  Effect: 'Allow',
  Principal: { AWS: principal },
  Action: 'events:PutEvents',
});

describe("the buses' resource policies, as the local EventBridge enforces them", () => {
  it('the packaged template lets exactly the workload accounts put on the default bus', () => {
    const template = packagedTemplate({ root: ROOT, stage: PACKAGED_STAGE });
    const putters = busPutters(template, LOCAL_TEMPLATE_PARAMETERS);
    expect([...(putters.get('default') ?? [])].sort()).toEqual([...LOCAL_WORKLOAD_ACCOUNT_IDS].sort());
    // without its policy nobody else may: what a template that lost WorkloadEcsEventsBusPolicy would get
    const { WorkloadEcsEventsBusPolicy, ...others } = template.Resources;
    expect(WorkloadEcsEventsBusPolicy).toBeDefined();
    expect(
      busPutters({ ...template, Resources: others } as CloudFormationTemplate, LOCAL_TEMPLATE_PARAMETERS).get(
        'default',
      ),
    ).toBeUndefined();
  });

  it('reads ids, root ARNs and a Ref to a list parameter; refuses any other shape rather than guess', () => {
    const read = (t: unknown, parameters: Record<string, string> = {}) =>
      [...(busPutters(t as CloudFormationTemplate, parameters).get('default') ?? [])].sort();
    expect(read(policy(allow(['111111111111', 'arn:aws:iam::222222222222:root'])))).toEqual([
      '111111111111',
      '222222222222',
    ]);
    expect(
      read(
        { ...policy(allow({ Ref: 'Ids' })), Parameters: { Ids: { Type: 'CommaDelimitedList' } } },
        { Ids: '333333333333,444444444444' },
      ),
    ).toEqual(['333333333333', '444444444444']);
    expect(() => read(policy(allow({ Ref: 'Missing' })))).toThrow(/Missing has no local value/);
    expect(() => read(policy(allow('*')))).toThrow(/not an account principal/);
    expect(() => read(policy(allow('arn:aws:iam::111111111111:role/x')))).toThrow(/not an account principal/);
    expect(() => read(policy({ ...allow('111111111111'), Condition: { StringEquals: {} } }))).toThrow(
      /unconditional/,
    );
    expect(() => read(policy({ ...allow('111111111111'), Effect: 'Deny' }))).toThrow(/unconditional Allow/);
    expect(() => read(policy(allow('111111111111'), { Policy: {} }))).toThrow(/single Statement/);
  });

  it("refuses another account's service event its bus's policy does not name: nothing arrives", async () => {
    const received: string[] = [];
    const rule: LocalRule = {
      name: 'ecs',
      bus: 'default',
      pattern: { source: ['aws.ecs'] },
      invoke: async (event) => {
        received.push((event as { account: string }).account);
      },
    };
    const lines: string[] = [];
    const bridge = new LocalEventBridge([rule], (line) => lines.push(line));
    bridge.busPolicies = new Map([['default', new Set(['333333333333'])]]);
    const send = (account?: string) =>
      bridge.putServiceEvent({
        source: 'aws.ecs',
        detailType: 'ECS Service Action',
        resources: [],
        detail: {},
        ...(account ? { account } : {}),
      });
    send('333333333333');
    send(); // this account's own
    const refused = send('999999999999');
    await bridge.idle();
    expect(received.sort()).toEqual(['000000000000', '333333333333']);
    expect(bridge.refusedByPolicy.map((r) => [r.account, r.event.id])).toEqual([['999999999999', refused]]);
    expect(bridge.arrivals).toHaveLength(2);
    expect(lines.some((l) => l.includes('999999999999') && l.includes("default bus's policy"))).toBe(true);
  });
});
