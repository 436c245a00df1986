import type { Projection } from '#src/platform/domain/projection.js';
import { dataSubjectsV1 } from '#src/platform/privacy/data-subjects/data-subjects.v1.js';
import { contextModels } from './catalogue.js';

/**
 * The platform's own projections: the index of data subjects, over every stream category an aggregate of a
 * context writes (a context added later joins it by declaring its aggregates).
 */
export const platformProjections: readonly Projection[] = [
  dataSubjectsV1(contextModels.flatMap((context) => Object.keys(context.aggregates))),
];

/** Every projection version the code knows; which one readers use is the registry's business. */
export const projections: readonly Projection[] = [
  ...contextModels.flatMap((context) => context.projections),
  ...platformProjections,
];

export function projectionVersion(name: string, version: number): Projection {
  const found = projections.find((p) => p.name === name && p.version === version);
  if (!found) {
    const known = projections.map((p) => `${p.name} v${p.version}`).join(', ');
    throw new RangeError(`unknown projection ${name} v${version} (known: ${known})`);
  }
  return found;
}

export const projectionNames = (): string[] => [...new Set(projections.map((p) => p.name))];
