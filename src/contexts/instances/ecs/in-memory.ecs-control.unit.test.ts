import { ecsControlContract } from './ecs-control.contract.js';
import { InMemoryEcsControl } from './in-memory.ecs-control.js';

let n = 0;
const arnOf = (name: string) => `arn:aws:ecs:af-south-1:000000000000:service/bbws-dev/${name}`;

ecsControlContract('in memory', () => {
  const ports = new InMemoryEcsControl();
  return {
    ports,
    newService: async (desiredCount) => {
      const arn = arnOf(`svc-${++n}`);
      ports.create(arn, desiredCount);
      return arn;
    },
    deleteService: async (arn) => ports.delete(arn),
    recreateService: async (arn, desiredCount) => ports.create(arn, desiredCount),
    missingArn: arnOf('missing'),
  };
});
