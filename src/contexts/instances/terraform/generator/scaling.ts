import { HEADER, ref, resources, shared, TAGS } from './common.js';
import { interp, local, type TfBody, template, x } from './tf-json.js';

/** Bounds from the plan's tier (0/0 while suspended, else autoscaling would start a parked tenant again). */
export const scalingFile = (): TfBody => ({
  '//': HEADER,
  resource: resources([
    [
      'scalingTarget',
      {
        service_namespace: 'ecs',
        scalable_dimension: 'ecs:service:DesiredCount',
        resource_id: template('service/', x(shared('ecs_cluster_name')), '/', x(ref('service', 'name'))),
        min_capacity: interp(local('min_capacity')),
        max_capacity: interp(local('max_capacity')),
        tags: TAGS,
      },
    ],
    [
      'scalingPolicy',
      {
        name: template(x(local('service_name')), '-cpu'),
        policy_type: 'TargetTrackingScaling',
        service_namespace: interp(ref('scalingTarget', 'service_namespace')),
        scalable_dimension: interp(ref('scalingTarget', 'scalable_dimension')),
        resource_id: interp(ref('scalingTarget', 'resource_id')),
        target_tracking_scaling_policy_configuration: {
          target_value: 60,
          scale_in_cooldown: 300,
          scale_out_cooldown: 60,
          predefined_metric_specification: { predefined_metric_type: 'ECSServiceAverageCPUUtilization' },
        },
      },
    ],
  ]),
});
