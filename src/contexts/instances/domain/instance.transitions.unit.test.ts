import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ECS_EVENT_NAMES } from './ecs-events.js';
import {
  COMMAND_COLUMNS,
  cell,
  ECS_COLUMNS,
  PROVISIONER_COLUMNS,
  STATE_FIXTURES,
  withTransitionTables,
} from './transition-table.js';

const PIPELINE = [
  'PENDING_PROVISIONING',
  'COMMITTING',
  'WORKFLOW_QUEUED',
  'WORKFLOW_RUNNING',
  'PROVISIONING',
  'ACTIVE',
];
const STICKY = ['SUSPENDED', 'FAILED', 'DEPROVISIONING', 'DELETED'];
const next = (label: string, value: string) =>
  value.startsWith('**') ? value.slice(2, -2) : label.split(' ')[0];

/** The doc's table: event label -> state label -> cell text. */
function docTable(doc: string): Map<string, Map<string, string>> {
  const table = new Map<string, Map<string, string>>();
  let header: string[] = [];
  for (const line of doc.split('\n')) {
    if (!line.startsWith('| ')) continue;
    const cells = line.slice(2, -2).split(' | ');
    if (cells[0] === 'event') header = cells.slice(1);
    else if (cells[0] !== '---' && header.length) {
      table.set(cells[0] ?? '', new Map(cells.slice(1).map((c, i) => [header[i] ?? '', c])));
    }
  }
  return table;
}

describe('the state x event table of docs/events.md', () => {
  const doc = readFileSync('docs/events.md', 'utf8');
  const documented = docTable(doc.slice(doc.indexOf('<!-- instance-transitions:')));

  it('is what the decider does, cell by cell (regenerate: npx tsx scripts/instance-transitions-doc.ts)', () => {
    const wrong: string[] = [];
    for (const column of [...PROVISIONER_COLUMNS, ...ECS_COLUMNS, ...COMMAND_COLUMNS]) {
      for (const fixture of STATE_FIXTURES) {
        const actual = cell(fixture.history, column);
        const written = documented.get(column.label)?.get(fixture.label);
        if (written !== actual)
          wrong.push(`${column.label} in ${fixture.label}: doc ${written}, decider ${actual}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(withTransitionTables(doc)).toBe(doc);
  });

  it('has a column for every ECS event name of aws-facts.md, and none the design invented', () => {
    const names = new Set(Object.values(ECS_EVENT_NAMES).flat());
    expect(ECS_COLUMNS.map((c) => c.label).sort()).toEqual([...names].sort());
    expect(names.has('DEPLOYMENT_FAILED' as never)).toBe(false);
    expect(STATE_FIXTURES.map((f) => f.label.split(' ')[0])).toEqual(
      expect.arrayContaining([...PIPELINE, 'FAILED', 'SCALING', 'SUSPENDED', 'DEPROVISIONING', 'DELETED']),
    );
  });

  it('never refuses an ECS fact, never moves an instance back or out of SUSPENDED, FAILED, DEPROVISIONING or DELETED', () => {
    const cells = ECS_COLUMNS.flatMap((column) =>
      STATE_FIXTURES.map((fixture) => ({
        where: `${column.label} in ${fixture.label}`,
        from: fixture.label.split(' ')[0] ?? '',
        value: cell(fixture.history, column),
        label: fixture.label,
      })),
    );
    for (const { where, from, value, label } of cells) {
      expect(value, where).toMatch(/^(recorded|no-op|\*\*[A-Z_]+\*\*)$/);
      const to = next(label, value) ?? '';
      if (STICKY.includes(from)) expect(to, where).toBe(from);
      const [a, b] = [PIPELINE.indexOf(from), PIPELINE.indexOf(to)];
      if (a >= 0 && b >= 0) expect(b, where).toBeGreaterThanOrEqual(a);
    }
  });

  it('reaches FAILED only from SERVICE_DEPLOYMENT_FAILED or a failed workflow', () => {
    for (const column of [...PROVISIONER_COLUMNS, ...ECS_COLUMNS]) {
      for (const fixture of STATE_FIXTURES) {
        if (cell(fixture.history, column) === '**FAILED**') {
          expect(['SERVICE_DEPLOYMENT_FAILED', 'workflow failed']).toContain(column.label);
        }
      }
    }
  });
});
