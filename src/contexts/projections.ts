import type { Projection } from '#src/platform/domain/projection.js';
import { contexts } from './index.js';

/** Every projection version the code knows; which one readers use is the registry's business. */
export const projections: readonly Projection[] = contexts.flatMap((context) => context.projections);

export function projectionVersion(name: string, version: number): Projection {
  const found = projections.find((p) => p.name === name && p.version === version);
  if (!found) {
    const known = projections.map((p) => `${p.name} v${p.version}`).join(', ');
    throw new RangeError(`unknown projection ${name} v${version} (known: ${known})`);
  }
  return found;
}

export const projectionNames = (): string[] => [...new Set(projections.map((p) => p.name))];
