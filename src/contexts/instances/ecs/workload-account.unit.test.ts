import { readFileSync } from 'node:fs';
import {
  DescribeScalableTargetsCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { describe, expect, it } from 'vitest';
import { validateTemplate } from '#src/platform/infra/cfn-validate.js';
import { evaluate, type PolicyDocument } from '#src/platform/local/iam/policy.js';
import { requestsOf } from '#src/platform/local/iam/sdk-actions.js';
import { trusts } from '#src/platform/local/sts-server.js';
import { controlRoleOf, workloadAccountTemplate } from './workload-account.js';

const PROD = '333333333333';
const CP = '000000000000';
const role = controlRoleOf({
  account: PROD,
  region: 'af-south-1',
  controlPlaneAccount: CP,
  controlPlaneStage: 'prod',
  environment: 'prod',
});
const policies = role.policies as PolicyDocument[];

/** Whether the role's policies allow every IAM request of an SDK command (mapped as the local IAM hook maps it). */
function allows(client: string, command: string, input: object): boolean {
  return requestsOf(client, command, input as Record<string, unknown>, {
    region: 'af-south-1',
    account: PROD,
  }).every((r) => evaluate(policies, r.action, r.resource, r.context).allowed);
}
const service = (cluster: string, name: string) =>
  `arn:aws:ecs:af-south-1:${PROD}:service/${cluster}/${name}`;

describe('the workload account template', () => {
  it('is checked in as generated (infra/workload-account.template.json)', () => {
    const file = readFileSync(
      new URL('../../../../infra/workload-account.template.json', import.meta.url),
      'utf8',
    );
    expect(JSON.parse(file)).toEqual(workloadAccountTemplate());
  });

  it("is one CloudFormation accepts (the resource model's types, properties and references)", async () => {
    expect(await validateTemplate(workloadAccountTemplate() as never)).toEqual([]);
  });

  it('trusts exactly the control plane stage’s ECS control and ECS state sync roles', () => {
    const trust = role.trust as PolicyDocument;
    const arn = (name: string, account = CP) => ({ arn: `arn:aws:iam::${account}:role/${name}`, account });
    expect(trusts(trust, arn('bbws-control-plane-prod-ecsControl'))).toBe(true);
    expect(trusts(trust, arn('bbws-control-plane-prod-ecsStateSync'))).toBe(true);
    expect(trusts(trust, arn('bbws-control-plane-prod-provisioner'))).toBe(false);
    expect(trusts(trust, arn('bbws-control-plane-dev-ecsControl'))).toBe(false);
    expect(trusts(trust, arn('bbws-control-plane-prod-ecsControl', '999999999999'))).toBe(false);
    expect(role).toMatchObject({
      arn: `arn:aws:iam::${PROD}:role/bbws-control-prod`,
      maxSessionSeconds: 3600,
    });
  });

  it('allows exactly the calls ECS control and the state sync make, on the tenants of its own cluster', () => {
    const tenant = service('bbws-prod', 'bbws-prod-tenant-01J0000000000000000000000A');
    expect(allows('ECS', 'DescribeServices', { cluster: 'bbws-prod', services: [tenant] })).toBe(true);
    expect(allows('ECS', 'UpdateService', { cluster: 'bbws-prod', service: tenant, desiredCount: 1 })).toBe(
      true,
    );
    const target = {
      ServiceNamespace: 'ecs' as const,
      ScalableDimension: 'ecs:service:DesiredCount' as const,
      ResourceId: 'service/bbws-prod/bbws-prod-tenant-01J0000000000000000000000A',
    };
    const register = new RegisterScalableTargetCommand({ ...target, MinCapacity: 0, MaxCapacity: 0 });
    expect(allows('ApplicationAutoScaling', 'RegisterScalableTarget', register.input)).toBe(true);
    const describeTargets = new DescribeScalableTargetsCommand({
      ServiceNamespace: 'ecs',
      ResourceIds: [target.ResourceId],
    });
    expect(allows('ApplicationAutoScaling', 'DescribeScalableTargets', describeTargets.input)).toBe(true);
    // not another cluster's service, not another kind of service, not deleting or creating one
    const other = service('bbws-dev', 'bbws-dev-tenant-01J0000000000000000000000A');
    expect(allows('ECS', 'DescribeServices', { cluster: 'bbws-dev', services: [other] })).toBe(false);
    expect(
      allows('ECS', 'UpdateService', { cluster: 'bbws-prod', service: service('bbws-prod', 'shared') }),
    ).toBe(false);
    expect(allows('ECS', 'DeleteService', { cluster: 'bbws-prod', service: tenant })).toBe(false);
    const dynamo = {
      ...target,
      ServiceNamespace: 'dynamodb',
      ScalableDimension: 'dynamodb:table:ReadCapacityUnits',
    };
    // IAM cannot narrow RegisterScalableTarget to ECS (Application Auto Scaling has no condition key of its own;
    // a condition on one would deny every call, locally too): another namespace's target of this account is
    // allowed by the role's policy, as in AWS; that service's own actions (e.g. dynamodb:UpdateTable) are not.
    expect(allows('ApplicationAutoScaling', 'RegisterScalableTarget', dynamo)).toBe(true);
  });
});
