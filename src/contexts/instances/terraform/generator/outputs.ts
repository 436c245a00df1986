import { HEADER, ref } from './common.js';
import { type Expr, interp, local, type TfBody } from './tf-json.js';

const output = (description: string, value: Expr) => ({ description, value: interp(value) });

/** What the control plane records (service ARN -> tenant mapping, resource ids); ARNs only, never a secret value. */
export const outputsFile = (): TfBody => ({
  '//': HEADER,
  output: {
    tenant_id: output('The tenant this folder provisions', local('tenant_id')),
    environment: output('The environment (dev, sit, prod)', local('environment')),
    service_arn: output(
      'ARN of the ECS service (ECS events name the service only by it)',
      ref('service', 'arn'),
    ),
    service_name: output('Name of the ECS service', ref('service', 'name')),
    task_definition_arn: output('ARN of the current task definition revision', ref('taskDefinition', 'arn')),
    target_group_arn: output('ARN of the ALB target group', ref('targetGroup', 'arn')),
    efs_access_point_id: output('Id of the EFS access point of wp-content', ref('accessPoint', 'id')),
    database_secret_arn: output('ARN of the database credentials secret', ref('dbSecret', 'arn')),
    app_password_secret_arn: output(
      'ARN of the WordPress application password secret',
      ref('appSecret', 'arn'),
    ),
  },
});
