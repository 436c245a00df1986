import { describe, expect, it } from 'vitest';
import { generateTenantFolder } from '../generator/generate.js';
import { type Expr, interp } from '../generator/tf-json.js';
import { prodTenant } from '../test-support/fixtures.js';
import { checkTerraform } from './check.js';

// biome-ignore lint/suspicious/noExplicitAny: the tests break parsed JSON in arbitrary places
type Json = Record<string, any>;
const clean = generateTenantFolder(prodTenant).files;
const $ = (expression: string) => interp(expression as Expr);

/** The clean prod folder with one file changed (the file given as parsed JSON to `change`). */
function broken(file: string, change: (json: Json) => void, folder = 'tenants/t'): Record<string, string> {
  const json = JSON.parse(clean[file] ?? '{}') as Json;
  change(json);
  const files = { ...clean, [file]: JSON.stringify(json, null, 2) };
  return Object.fromEntries(Object.entries(files).map(([name, content]) => [`${folder}/${name}`, content]));
}

const service = (json: Json) => json.resource.aws_ecs_service.wordpress;
const targetGroup = (json: Json) => json.resource.aws_lb_target_group.wordpress;

describe('checkTerraform', () => {
  it('finds nothing in a generated folder', () => {
    expect(checkTerraform(clean)).toEqual([]);
  });

  it('catches a dangling reference to a resource, naming the file and the path', () => {
    const files = broken('service.tf.json', (j) => {
      service(j).task_definition = $('aws_ecs_task_definition.wordpres.arn');
    });
    expect(checkTerraform(files)).toEqual([
      'tenants/t/service.tf.json: resource.aws_ecs_service.wordpress.task_definition: reference to undeclared resource "aws_ecs_task_definition.wordpres"',
    ]);
  });

  it('catches a dangling reference nested in a function call and an index', () => {
    const files = broken('routing.tf.json', (j) => {
      j.resource.aws_lb_listener_rule.site_hosts.count = $(
        'length(concat(local.host_rule_domainz, [local.tenant_id]))',
      );
      j.resource.aws_lb_listener_rule.tenant_header.listener_arn = $(
        'data.terraform_remote_state.shared.outputs.alb_listener_arns[var.alb]',
      );
    });
    expect(checkTerraform(files)).toEqual([
      'tenants/t/routing.tf.json: resource.aws_lb_listener_rule.site_hosts.count: reference to undeclared local "local.host_rule_domainz"',
      'tenants/t/routing.tf.json: resource.aws_lb_listener_rule.tenant_header.listener_arn: reference to undeclared variable "var.alb"',
    ]);
  });

  it('catches an unknown attribute on a resource and on a referenced resource', () => {
    const files = broken('routing.tf.json', (j) => {
      targetGroup(j).health_check.grace_period = 30;
      j.resource.aws_lb_listener_rule.tenant_header.action.target_group_arn = $(
        'aws_lb_target_group.wordpress.id_arn',
      );
    });
    const problems = checkTerraform(files);
    expect(problems).toContain(
      'tenants/t/routing.tf.json: resource.aws_lb_target_group.wordpress.health_check.grace_period: unknown attribute or block "grace_period"',
    );
    expect(problems.find((p) => p.includes('tenant_header.action.target_group_arn'))).toMatch(
      /no attribute "id_arn" \(has: .*arn.*\)/,
    );
  });

  it('catches a string where a number is expected', () => {
    const files = broken('routing.tf.json', (j) => {
      targetGroup(j).port = 'eighty';
    });
    expect(checkTerraform(files)).toEqual([
      'tenants/t/routing.tf.json: resource.aws_lb_target_group.wordpress.port: wrong type: expected number, got string',
    ]);
  });

  it('catches a string where a list is expected, and a list where a string is expected', () => {
    const files = broken('service.tf.json', (j) => {
      j.resource.aws_ecs_task_definition.wordpress.requires_compatibilities = 'FARGATE';
      j.resource.aws_ecs_task_definition.wordpress.family = ['a'];
    });
    expect(checkTerraform(files)).toEqual([
      'tenants/t/service.tf.json: resource.aws_ecs_task_definition.wordpress.family: wrong type: expected string, got tuple([string])',
      'tenants/t/service.tf.json: resource.aws_ecs_task_definition.wordpress.requires_compatibilities: wrong type: expected set(string), got string',
    ]);
  });

  it('types references: a local holding a list where a string is expected', () => {
    const files = broken('service.tf.json', (j) => {
      service(j).name = $('local.site_domains');
    });
    expect(checkTerraform(files)).toEqual([
      'tenants/t/service.tf.json: resource.aws_ecs_service.wordpress.name: wrong type: expected string, got tuple([string, string])',
    ]);
  });

  it('catches missing required attributes and blocks', () => {
    const files = broken('routing.tf.json', (j) => {
      delete j.resource.aws_lb_listener_rule.tenant_header.listener_arn;
      delete j.resource.aws_lb_listener_rule.tenant_header.action;
    });
    expect(checkTerraform(files)).toEqual([
      'tenants/t/routing.tf.json: resource.aws_lb_listener_rule.tenant_header: missing required attribute "listener_arn"',
      'tenants/t/routing.tf.json: resource.aws_lb_listener_rule.tenant_header: missing required block "action"',
    ]);
  });

  it('catches a dangling depends_on entry', () => {
    const files = broken('service.tf.json', (j) => {
      service(j).depends_on = [...service(j).depends_on, 'mysql_grant.wordpres'];
    });
    expect(checkTerraform(files)).toEqual([
      'tenants/t/service.tf.json: resource.aws_ecs_service.wordpress.depends_on[5]: depends_on entry "mysql_grant.wordpres" is not a declared resource, data source or module',
    ]);
  });

  it('catches an output that would expose a secret, even through a local', () => {
    const files = broken('outputs.tf.json', (j) => {
      j.output.app_password = { value: $('random_password.app_password.result'), sensitive: true };
      j.output.database = { value: $('local.database_secret') };
    });
    expect(checkTerraform(files)).toEqual([
      'tenants/t/outputs.tf.json: output.app_password.value: output "app_password" would expose a secret value',
      'tenants/t/outputs.tf.json: output.database.value: output "database" would expose a secret value',
    ]);
  });

  it('catches a resource with count used without an index', () => {
    const files = broken('outputs.tf.json', (j) => {
      j.output.host_rule = { value: $('aws_lb_listener_rule.site_hosts.arn') };
    });
    expect(checkTerraform(files)).toEqual([
      'tenants/t/outputs.tf.json: output.host_rule.value: .arn on a list(object({action, arn, condition, id, listener_arn, priority, tags, tags_all})): index it first (e.g. [0] or count.index)',
    ]);
  });

  it('catches an output the shared stack does not have', () => {
    const files = broken('shared.tf.json', (j) => {
      j.data.aws_secretsmanager_secret_version.rds_admin.secret_id = $(
        'data.terraform_remote_state.shared.outputs.rds_secret_arn',
      );
    });
    expect(checkTerraform(files)[0]).toMatch(
      /shared\.tf\.json: data\.aws_secretsmanager_secret_version\.rds_admin\.secret_id: "rds_secret_arn" is not an output of the "shared" state/,
    );
  });

  it('catches unknown functions, wrong arity and arithmetic on strings', () => {
    const files = broken('scaling.tf.json', (j) => {
      const target = j.resource.aws_appautoscaling_target.wordpress;
      target.min_capacity = $('minimum(local.min_capacity, 1)');
      target.max_capacity = $('max()');
      j.resource.aws_appautoscaling_policy.cpu.target_tracking_scaling_policy_configuration.target_value =
        $('local.tenant_id * 2');
    });
    expect(checkTerraform(files)).toEqual([
      'tenants/t/scaling.tf.json: resource.aws_appautoscaling_policy.cpu.target_tracking_scaling_policy_configuration.target_value: operator "*": expected number, got string',
      'tenants/t/scaling.tf.json: resource.aws_appautoscaling_target.wordpress.max_capacity: max() takes 1+ arguments, got 0',
      'tenants/t/scaling.tf.json: resource.aws_appautoscaling_target.wordpress.min_capacity: unknown function "minimum"',
    ]);
  });

  it('holds providers to exact pins that match the checked-in schema', () => {
    const files = broken('versions.tf.json', (j) => {
      j.terraform.required_providers.aws.version = '~> 6.0';
      j.terraform.required_providers.random.version = '3.8.1';
    });
    expect(checkTerraform(files)).toEqual([
      'tenants/t/versions.tf.json: terraform.required_providers.aws: version "~> 6.0" is not pinned to one exact version',
      'tenants/t/versions.tf.json: terraform.required_providers.random: pinned 3.8.1 but providers-schema.json describes 3.9.0: review the schema',
    ]);
  });

  it('catches interpolation in the backend, a read-only attribute and an unknown ignore_changes entry', () => {
    const backend = broken('backend.tf.json', (j) => {
      j.terraform.backend.s3.key = $('local.tenant_id');
    });
    expect(checkTerraform(backend)).toEqual([
      'tenants/t/backend.tf.json: terraform.backend: backend settings cannot use interpolations',
    ]);
    const files = broken('service.tf.json', (j) => {
      service(j).arn = 'arn:aws:ecs:af-south-1:1:service/x';
      service(j).lifecycle.ignore_changes = ['desired_counts'];
    });
    expect(checkTerraform(files)).toEqual([
      'tenants/t/service.tf.json: resource.aws_ecs_service.wordpress.lifecycle.ignore_changes[0]: ignore_changes names unknown attribute "desired_counts"',
      'tenants/t/service.tf.json: resource.aws_ecs_service.wordpress.arn: "arn" is read-only (computed by the provider)',
    ]);
  });

  it('catches duplicates across files and self-references', () => {
    const files = broken('service.tf.json', (j) => {
      j.locals.tenant_id = 'again';
      service(j).name = $('aws_ecs_service.wordpress.id');
    });
    expect(checkTerraform(files)).toEqual([
      'tenants/t/tenant.tf.json: locals.tenant_id: duplicate local "tenant_id"',
      'tenants/t/service.tf.json: resource.aws_ecs_service.wordpress.name: "aws_ecs_service.wordpress" refers to itself',
    ]);
  });

  it('reports unparseable files, expressions, HCL files and unknown resource types', () => {
    const files = {
      'a/main.tf.json': '{"resource": ',
      'a/other.tf': 'resource "x" "y" {}',
      'b/versions.tf.json': clean['versions.tf.json'] ?? '',
      'b/bad.tf.json': JSON.stringify({
        resource: { aws_instance: { web: { ami: 'x' } }, aws_s3_bucket: { b: { bucket: $('local.x[') } } },
      }),
    };
    const problems = checkTerraform(files);
    expect(problems[0]).toMatch(/^a\/main\.tf\.json: \(root\): invalid JSON/);
    expect(problems.slice(1)).toEqual([
      'a/other.tf: (root): HCL native syntax cannot be checked offline; write *.tf.json',
      'b/bad.tf.json: resource.aws_instance.web: resource type "aws_instance" is not in providers-schema.json',
      'b/bad.tf.json: resource.aws_s3_bucket.b: resource type "aws_s3_bucket" is not in providers-schema.json',
    ]);
    const parse = broken('outputs.tf.json', (j) => {
      j.output.tenant_id.value = $('local.tenant_id[');
    });
    expect(checkTerraform(parse)[0]).toMatch(/output\.tenant_id\.value: cannot parse .*unexpected "\}"/);
  });

  it('checks each folder of a repository as its own module', () => {
    const two = {
      ...Object.fromEntries(Object.entries(clean).map(([n, c]) => [`tenants/a/${n}`, c])),
      ...broken(
        'service.tf.json',
        (j) => {
          service(j).cluster = $('local.cluster');
        },
        'tenants/b',
      ),
    };
    expect(checkTerraform(two)).toEqual([
      'tenants/b/service.tf.json: resource.aws_ecs_service.wordpress.cluster: reference to undeclared local "local.cluster"',
    ]);
  });
});
