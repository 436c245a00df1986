import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import {
  CreateServiceCommand,
  DeleteServiceCommand,
  DescribeServicesCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import { afterAll, beforeAll } from 'vitest';
import { type AwsStandIns, startAwsStandIns } from '../local/aws/aws-stand-ins.js';
import { localCredentials } from '../local/test-support/wait.js';
import { AwsEcsServices, AwsScalableTargets } from './aws.ecs-control.js';
import { ecsControlContract } from './ecs-control.contract.js';

// The AWS adapters through the real SDK clients, against the ECS + Application Auto Scaling stand-in.
let aws: AwsStandIns;
let ecs: ECSClient;
let scaling: ApplicationAutoScalingClient;
let n = 0;

beforeAll(async () => {
  aws = await startAwsStandIns({
    region: 'af-south-1',
    account: '000000000000',
    clusters: ['bbws-dev'],
    putEvent: () => {},
    ecsTiming: { taskStartMs: 10, taskStopMs: 10, steadyRepeatMs: 1000 },
    autoscalingEnforceMs: 20,
  });
  const client = { region: 'af-south-1', endpoint: aws.endpoint, credentials: localCredentials };
  ecs = new ECSClient(client);
  scaling = new ApplicationAutoScalingClient(client);
});
afterAll(async () => {
  ecs?.destroy();
  scaling?.destroy();
  await aws?.stop();
});

/** A service of bbws-dev, with a task definition of its own family, by its ARN. */
async function createService(serviceName: string, desiredCount: number): Promise<string> {
  const { taskDefinition } = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: serviceName,
      cpu: '256',
      memory: '512',
      containerDefinitions: [],
    }),
  );
  const { service } = await ecs.send(
    new CreateServiceCommand({
      cluster: 'bbws-dev',
      serviceName,
      desiredCount,
      taskDefinition: taskDefinition?.taskDefinitionArn,
    }),
  );
  return service?.serviceArn ?? '';
}

ecsControlContract('AWS SDK on the local stand-in', () => ({
  ports: { services: new AwsEcsServices(ecs), targets: new AwsScalableTargets(scaling) },
  newService: (desiredCount) => createService(`bbws-dev-tenant-contract${++n}`, desiredCount),
  recreateService: async (serviceArn, desiredCount) => {
    await createService(serviceArn.split('/').pop() ?? '', desiredCount);
  },
  deleteService: async (serviceArn) => {
    await ecs.send(new DeleteServiceCommand({ cluster: 'bbws-dev', service: serviceArn, force: true }));
    // DRAINING first, INACTIVE once its tasks stopped (the stand-in's taskStopMs, 10 ms here)
    for (let i = 0; i < 100; i++) {
      const out = await ecs.send(
        new DescribeServicesCommand({ cluster: 'bbws-dev', services: [serviceArn] }),
      );
      if (out.services?.[0]?.status === 'INACTIVE') return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`${serviceArn} still not INACTIVE`);
  },
  missingArn: 'arn:aws:ecs:af-south-1:000000000000:service/bbws-dev/bbws-dev-tenant-missing',
}));
