import { parse } from 'yaml';

export interface WorkflowInput {
  required?: boolean;
  type?: string;
  options?: string[];
}

export interface WorkflowStep {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  'working-directory'?: string;
}

/** The parts of a workflow file the stand-in reads. */
export interface WorkflowFile {
  name: string;
  runName?: string;
  inputs?: Record<string, WorkflowInput>;
  concurrency?: string;
  steps: WorkflowStep[];
}

/** Parses a workflow file; a file that is not a workflow throws. */
export function parseWorkflow(text: string, path: string): WorkflowFile {
  const doc = parse(text) as {
    name?: string;
    'run-name'?: string;
    on?: { workflow_dispatch?: { inputs?: Record<string, WorkflowInput> } | null };
    concurrency?: string | { group?: string };
    jobs?: Record<string, { steps?: WorkflowStep[] }>;
  };
  if (typeof doc !== 'object' || doc === null || typeof doc.jobs !== 'object')
    throw new Error(`${path} is not a workflow`);
  const dispatch = doc.on && 'workflow_dispatch' in doc.on ? (doc.on.workflow_dispatch ?? {}) : undefined;
  const concurrency = typeof doc.concurrency === 'string' ? doc.concurrency : doc.concurrency?.group;
  return {
    name: doc.name ?? path,
    ...(doc['run-name'] === undefined ? {} : { runName: doc['run-name'] }),
    ...(dispatch === undefined ? {} : { inputs: dispatch.inputs ?? {} }),
    ...(concurrency === undefined ? {} : { concurrency }),
    steps: Object.values(doc.jobs).flatMap((job) => job.steps ?? []),
  };
}

/** The values expressions may read: `inputs.*`, `github.*`, `vars.*`, `secrets.*`, `job.status`. */
export type ExpressionContext = Readonly<Record<string, Readonly<Record<string, string>>>>;

/** Replaces each `${{ a.b }}` by its value (an unknown one by the empty string, as GitHub does). */
export function render(text: string, context: ExpressionContext): string {
  return text.replace(
    /\$\{\{\s*([a-z_]+)\.([A-Za-z0-9_-]+)\s*\}\}/g,
    (_, scope: string, key: string) => context[scope]?.[key] ?? '',
  );
}

/**
 * A step's `if:` as GitHub evaluates the forms the platform's workflows use: terms joined by `&&`, each
 * `success()`, `failure()`, `always()` or `<scope>.<name> ==|!= '<literal>'`. Without a status function, GitHub
 * adds `success() &&`. Anything else throws (the run fails rather than guessing).
 */
export function condition(
  expression: string | undefined,
  failed: boolean,
  context: ExpressionContext,
): boolean {
  const terms = (expression ?? 'success()').split('&&').map((t) => t.trim());
  const status = terms.some((t) => /^(success|failure|always|cancelled)\(\)$/.test(t)) ? [] : ['success()'];
  return [...status, ...terms].every((term) => {
    if (term === 'success()') return !failed;
    if (term === 'failure()') return failed;
    if (term === 'always()') return true;
    if (term === 'cancelled()') return false;
    const match = /^([a-z_]+)\.([A-Za-z0-9_-]+)\s*(==|!=)\s*'([^']*)'$/.exec(term);
    if (!match) throw new Error(`the local GitHub stand-in cannot evaluate "${term}"`);
    const equal = (context[match[1] ?? '']?.[match[2] ?? ''] ?? '') === match[4];
    return match[3] === '==' ? equal : !equal;
  });
}
