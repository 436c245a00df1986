import { dependsOn, HEADER, ref, resources, shared, TAGS } from './common.js';
import { call, interp, local, num, str, type TfBody, template, times, x } from './tf-json.js';

const CONTAINER = 'wordpress';
const VOLUME = 'wp-content';
/** www-data in the official WordPress (Debian) images, which the platform image builds on. */
const WWW_DATA = 33;

const env = (name: string, value: string) => ({ name, value });

/**
 * The container's contract with the platform image: plain settings as environment variables, secrets only as
 * Secrets Manager ARNs (with a JSON key) that ECS resolves at task start, so no secret value is in this file.
 * The image's entrypoint installs WordPress on first boot from the BBWS_* variables (see README.md).
 */
const containerDefinitions = [
  {
    name: CONTAINER,
    image: interp(local('image')),
    essential: true,
    portMappings: [{ containerPort: 80, hostPort: 80, protocol: 'tcp' }],
    environment: [
      env('BBWS_ADMIN_EMAIL', interp(local('admin_email'))),
      env('BBWS_ENVIRONMENT', interp(local('environment'))),
      env('BBWS_PLATFORM_USER', interp(local('platform_wordpress_user'))),
      env('BBWS_SITE_DOMAINS', interp(call('join', str(','), local('site_domains')))),
      env('BBWS_SITE_URL', interp(local('site_url'))),
      env('BBWS_STORAGE_QUOTA_MB', interp(call('tostring', times(local('storage_gib'), num(1024))))),
      env('BBWS_TENANT_ID', interp(local('tenant_id'))),
      env('WORDPRESS_DB_HOST', interp(shared('rds_endpoint'))),
      env('WORDPRESS_DB_NAME', interp(ref('database', 'name'))),
      env('WORDPRESS_DB_USER', interp(ref('dbUser', 'user'))),
    ],
    secrets: [
      { name: 'BBWS_APP_PASSWORD', valueFrom: template(x(ref('appSecret', 'arn')), ':password::') },
      { name: 'WORDPRESS_DB_PASSWORD', valueFrom: template(x(ref('dbSecret', 'arn')), ':password::') },
    ],
    mountPoints: [{ sourceVolume: VOLUME, containerPath: '/var/www/html/wp-content', readOnly: false }],
    logConfiguration: {
      logDriver: 'awslogs',
      options: {
        'awslogs-group': interp(ref('logGroup', 'name')),
        'awslogs-region': interp(local('aws_region')),
        'awslogs-stream-prefix': CONTAINER,
      },
    },
  },
];

/** The task role only mounts the tenant's own access point (EFS IAM authorisation). */
const taskPolicies = {
  ecs_tasks_trust_policy: {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' },
    ],
  },
  task_efs_policy: {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
        Resource: interp(shared('efs_file_system_arn')),
        Condition: {
          StringEquals: { 'elasticfilesystem:AccessPointArn': interp(ref('accessPoint', 'arn')) },
        },
      },
    ],
  },
};

export const serviceFile = (): TfBody => ({
  '//': HEADER,
  locals: { container_definitions: containerDefinitions, ...taskPolicies },
  resource: resources([
    [
      'logGroup',
      {
        name: interp(local('log_group_name')),
        retention_in_days: interp(local('log_retention_days')),
        tags: TAGS,
      },
    ],
    [
      'taskRole',
      {
        name: interp(local('task_role_name')),
        assume_role_policy: interp(call('jsonencode', local('ecs_tasks_trust_policy'))),
        tags: TAGS,
      },
    ],
    [
      'taskRolePolicy',
      {
        name: 'efs-access-point',
        role: interp(ref('taskRole', 'id')),
        policy: interp(call('jsonencode', local('task_efs_policy'))),
      },
    ],
    [
      'accessPoint',
      {
        file_system_id: interp(shared('efs_file_system_id')),
        posix_user: { uid: WWW_DATA, gid: WWW_DATA },
        root_directory: {
          path: interp(local('efs_root_path')),
          creation_info: { owner_uid: WWW_DATA, owner_gid: WWW_DATA, permissions: '0750' },
        },
        tags: TAGS,
      },
    ],
    ['taskDefinition', taskDefinition()],
    ['service', service()],
  ]),
});

const taskDefinition = (): TfBody => ({
  family: interp(local('service_name')),
  requires_compatibilities: ['FARGATE'],
  network_mode: 'awsvpc',
  cpu: interp(local('task_cpu')),
  memory: interp(local('task_memory')),
  execution_role_arn: interp(shared('task_execution_role_arn')),
  task_role_arn: interp(ref('taskRole', 'arn')),
  container_definitions: interp(call('jsonencode', local('container_definitions'))),
  volume: {
    name: VOLUME,
    efs_volume_configuration: {
      file_system_id: interp(shared('efs_file_system_id')),
      transit_encryption: 'ENABLED',
      authorization_config: { access_point_id: interp(ref('accessPoint', 'id')), iam: 'ENABLED' },
    },
  },
  tags: TAGS,
});

/**
 * Autoscaling owns the running count after creation (`ignore_changes`); Terraform owns the bounds. The circuit
 * breaker makes ECS emit SERVICE_DEPLOYMENT_FAILED, which the state sync maps to FAILED.
 */
const service = (): TfBody => ({
  name: interp(local('service_name')),
  cluster: interp(shared('ecs_cluster_arn')),
  task_definition: interp(ref('taskDefinition', 'arn')),
  desired_count: interp(local('desired_count')),
  launch_type: 'FARGATE',
  propagate_tags: 'SERVICE',
  enable_ecs_managed_tags: true,
  health_check_grace_period_seconds: 120,
  network_configuration: {
    subnets: interp(shared('private_subnet_ids')),
    security_groups: [interp(shared('tenant_task_security_group_id'))],
    assign_public_ip: false,
  },
  load_balancer: {
    target_group_arn: interp(ref('targetGroup', 'arn')),
    container_name: CONTAINER,
    container_port: 80,
  },
  deployment_circuit_breaker: { enable: true, rollback: true },
  lifecycle: { ignore_changes: ['desired_count'] },
  depends_on: dependsOn('headerRule', 'dbGrant', 'dbSecretVersion', 'appSecretVersion', 'taskRolePolicy'),
  tags: TAGS,
});
