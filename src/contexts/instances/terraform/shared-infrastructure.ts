/**
 * The contract with each environment's shared stack (cluster, network, ALBs, RDS, EFS): the outputs a tenant
 * folder reads through `data.terraform_remote_state.shared`. The checker rejects a reference to any other
 * output, so a typo fails offline instead of at `terraform plan`.
 */
export const SHARED_STATE = 'shared';

export const SHARED_OUTPUTS = {
  ecs_cluster_arn: 'ARN of the environment ECS cluster',
  ecs_cluster_name: 'name of that cluster (Application Auto Scaling resource ids use it)',
  vpc_id: 'VPC of the cluster and ALBs',
  private_subnet_ids: 'private subnets tenant tasks run in (list of ids)',
  tenant_task_security_group_id: 'security group of tenant tasks (ALB in, RDS and EFS out)',
  alb_listener_arns: 'map from ALB number ("1", "2", ...) to the ARN of its listener tenants attach rules to',
  rds_endpoint: 'host:port of the environment MySQL',
  rds_admin_secret_arn: 'Secrets Manager secret {username, password} of the RDS admin (RDS-managed)',
  efs_file_system_id: 'EFS file system holding every tenant wp-content (one access point each)',
  efs_file_system_arn: 'ARN of that file system (for the task role policy)',
  task_execution_role_arn:
    'shared ECS execution role: pulls the image, writes logs, reads bbws/<env>/tenants/* secrets',
} as const;

export type SharedOutput = keyof typeof SHARED_OUTPUTS;
export const SHARED_OUTPUT_NAMES: readonly string[] = Object.keys(SHARED_OUTPUTS);
