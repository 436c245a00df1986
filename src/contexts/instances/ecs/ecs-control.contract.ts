import { describe, expect, it } from 'vitest';
import type { EcsControlPorts } from './ecs-control.port.js';

export interface EcsControlFixture {
  ports: EcsControlPorts;
  /** A new service of the environment at `desiredCount`, by its ARN. */
  newService(desiredCount: number): Promise<string>;
  /** The service deleted (forced), until ECS no longer describes it as live. */
  deleteService(serviceArn: string): Promise<void>;
  /** The deleted service created again, same cluster and name: the same ARN, a new service. */
  recreateService(serviceArn: string, desiredCount: number): Promise<void>;
  /** An ARN no service has. */
  missingArn: string;
}

/** One contract for the in-memory adapters and the AWS ones (through the real SDK, against the local stand-in). */
export function ecsControlContract(name: string, fixture: () => EcsControlFixture) {
  describe(`ECS control ports: ${name}`, () => {
    it('describes a service by its ARN, and nothing for a service that does not exist', async () => {
      const { ports, newService, missingArn } = fixture();
      const arn = await newService(2);
      expect(await ports.services.describe(arn)).toEqual({
        desiredCount: 2,
        runningCount: expect.any(Number),
        createdAt: expect.any(String),
      });
      expect(await ports.services.describe(missingArn)).toBeUndefined();
    });

    it('describes a deleted service as nothing (the ECS state sync records its late facts without counts)', async () => {
      const { ports, newService, deleteService } = fixture();
      const arn = await newService(1);
      await deleteService(arn);
      expect(await ports.services.describe(arn)).toBeUndefined();
    });

    it('gives the service’s creation time (ISO 8601); the same ARN created again, a later one', async () => {
      const { ports, newService, deleteService, recreateService } = fixture();
      const before = Date.now();
      const arn = await newService(1);
      const first = (await ports.services.describe(arn))?.createdAt ?? '';
      expect(new Date(first).toISOString()).toBe(first);
      expect(Date.parse(first)).toBeGreaterThanOrEqual(before - 1000);
      await deleteService(arn);
      await new Promise((resolve) => setTimeout(resolve, 5));
      await recreateService(arn, 1);
      const second = (await ports.services.describe(arn))?.createdAt ?? '';
      expect(Date.parse(second), 'the re-created service is a new one').toBeGreaterThan(Date.parse(first));
    });

    it("gives up a describe whose signal is aborted (the state sync's deadline)", async () => {
      const { ports, newService } = fixture();
      const arn = await newService(1);
      const signal = AbortSignal.abort(new Error('deadline'));
      await expect(ports.services.describe(arn, { signal })).rejects.toThrow();
    });

    it("sets the service's desired count", async () => {
      const { ports, newService } = fixture();
      const arn = await newService(1);
      await ports.services.setDesiredCount(arn, 3);
      expect(await ports.services.describe(arn)).toMatchObject({ desiredCount: 3 });
    });

    it('registers the bounds of a scalable target, again and again (idempotent), and describes them', async () => {
      const { ports, newService } = fixture();
      const arn = await newService(1);
      expect(await ports.targets.describe(arn)).toBeUndefined();
      await ports.targets.register(arn, { minCount: 1, maxCount: 4 });
      await ports.targets.register(arn, { minCount: 1, maxCount: 4 });
      expect(await ports.targets.describe(arn)).toEqual({ minCount: 1, maxCount: 4 });
    });

    it('keeps a stopped service stopped only with bounds 0..0 (autoscaling raises it to min otherwise)', async () => {
      const { ports, newService } = fixture();
      const arn = await newService(2);
      await ports.targets.register(arn, { minCount: 0, maxCount: 0 });
      await ports.services.setDesiredCount(arn, 0);
      expect(await ports.targets.describe(arn)).toEqual({ minCount: 0, maxCount: 0 });
      expect(await ports.services.describe(arn)).toMatchObject({ desiredCount: 0 });
      await ports.targets.register(arn, { minCount: 2, maxCount: 4 });
      expect((await ports.services.describe(arn))?.desiredCount).toBe(2);
    });

    it('refuses bounds for a service that does not exist', async () => {
      const { ports, missingArn } = fixture();
      await expect(ports.targets.register(missingArn, { minCount: 0, maxCount: 0 })).rejects.toThrow();
    });
  });
}
