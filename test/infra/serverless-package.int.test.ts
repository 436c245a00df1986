import { describe, expect, it } from 'vitest';
import { app } from '#src/platform/infra/app.js';
import { cloudFormationTable } from '#src/platform/infra/cloudformation.js';
import { loadWiring } from '#src/platform/local/wiring.js';
import { packagedTemplate } from '#test/serverless-template.js';

/** Packages the service offline (no credentials), once per stage and sources, and returns the template. */
function packageTemplate(stage: string): { Resources: Record<string, { Type: string; Properties: object }> } {
  return packagedTemplate(stage) as { Resources: Record<string, { Type: string; Properties: object }> };
}

describe('serverless.yml', () => {
  it.each(['dev', 'prod'])('packages %s with exactly the tables of the definitions module', (stage) => {
    const template = packageTemplate(stage);
    const packaged = Object.fromEntries(
      Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::DynamoDB::Table'),
    );
    const declared = Object.fromEntries(
      Object.entries(app.tables).map(([id, table]) => [id, cloudFormationTable(table, stage)]),
    );
    expect(packaged).toEqual(declared);
    const eventStore = (declared.EventStoreTable as { Properties: Record<string, unknown> }).Properties;
    expect(eventStore.StreamSpecification).toEqual({ StreamViewType: 'NEW_IMAGE' });
    expect(eventStore.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(eventStore.DeletionProtectionEnabled).toBe(stage !== 'dev');
    expect(eventStore.TableName).toBe(`bbws-event-store-${stage}`);
  });

  it('wires every function locally exactly as the packaged template does', () => {
    const template = packageTemplate('dev');
    const resources = Object.entries(template.Resources) as [
      string,
      { Type: string; Properties: Record<string, unknown> },
    ][];
    const fnOf = (ref: unknown) =>
      String((ref as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0]).replace(/LambdaFunction$/, '');
    const lower = (name: string) => name.charAt(0).toLowerCase() + name.slice(1);
    const local = loadWiring(process.cwd());

    const functions = resources
      .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
      .map(([id]) => lower(id.replace(/LambdaFunction$/, '')));
    expect(local.functions.map((f) => f.name).sort()).toEqual(functions.sort());

    const mappings = resources
      .filter(([, r]) => r.Type === 'AWS::Lambda::EventSourceMapping')
      .map(
        ([, r]) =>
          `${lower(fnOf(r.Properties.FunctionName))} <- ${(r.Properties.EventSourceArn as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0]}`,
      );
    expect(
      [...local.streams, ...local.sqs]
        .map((s) => `${s.function} <- ${'table' in s ? s.table : s.queue}`)
        .sort(),
    ).toEqual(mappings.sort());

    const rules = resources
      .filter(([, r]) => r.Type === 'AWS::Events::Rule')
      .map(([, r]) => ({
        function: lower(fnOf((r.Properties.Targets as { Arn: unknown }[])[0]?.Arn)),
        pattern: r.Properties.EventPattern,
      }));
    expect(local.rules.map((r) => ({ function: r.function, pattern: r.pattern }))).toEqual(rules);

    const routes = resources
      .filter(([, r]) => r.Type === 'AWS::ApiGatewayV2::Route')
      .map(([, r]) => String(r.Properties.RouteKey));
    const routeKey = (r: { method: string; path: string }) =>
      r.path === '$default' ? '$default' : `${r.method} ${r.path}`;
    expect(local.routes.map(routeKey).sort()).toEqual(routes.sort());

    const wired = new Set(
      [...local.streams, ...local.sqs, ...local.rules, ...local.routes].map((e) => e.function),
    );
    expect(functions.filter((f) => !wired.has(f))).toEqual([]);
  });

  it('refuses a stage other than dev, sit and prod', () => {
    expect(() => packageTemplate('qa')).toThrow(/stage must be one of dev, sit, prod/);
  });
});
