import { HEADER, ref, resources, shared, TAGS } from './common.js';
import { COUNT_INDEX, call, index, interp, local, num, plus, type TfBody } from './tf-json.js';

const forward = { type: 'forward', target_group_arn: interp(ref('targetGroup', 'arn')) };
const listener = interp(index(shared('alb_listener_arns'), local('alb_number')));

/**
 * The tenant's target group on its allocated ALB, one rule on `X-Tenant-Id` (the control plane's path) at the
 * slot's priority, and one rule per three site domains at the next priorities (`count` is 0 without domains).
 */
export const routingFile = (): TfBody => ({
  '//': HEADER,
  resource: resources([
    [
      'targetGroup',
      {
        name: interp(local('target_group_name')),
        port: 80,
        protocol: 'HTTP',
        target_type: 'ip',
        vpc_id: interp(shared('vpc_id')),
        deregistration_delay: '30',
        health_check: {
          enabled: true,
          path: '/',
          matcher: '200-399',
          interval: 30,
          timeout: 10,
          healthy_threshold: 2,
          unhealthy_threshold: 5,
        },
        tags: TAGS,
      },
    ],
    [
      'headerRule',
      {
        listener_arn: listener,
        priority: interp(local('listener_rule_priority')),
        action: forward,
        condition: { http_header: { http_header_name: 'X-Tenant-Id', values: [interp(local('tenant_id'))] } },
        tags: TAGS,
      },
    ],
    [
      'hostRule',
      {
        count: interp(call('length', local('host_rule_domains'))),
        listener_arn: listener,
        priority: interp(plus(local('listener_rule_priority'), num(1), COUNT_INDEX)),
        action: forward,
        condition: { host_header: { values: interp(index(local('host_rule_domains'), COUNT_INDEX)) } },
        tags: TAGS,
      },
    ],
  ]),
});
