#!/usr/bin/env bash
# The instances part of docs/api.md's curl walkthrough, runnable against `npm start`: a tenant, its prod instance
# polled to ACTIVE, its WordPress through the prod ALB stand-in, a scale. BASE is the API, ALB the "ALB (prod)"
# address npm start printed. Prints each command and its answer (polls: one line per state, with the seconds since
# the POST). ECS, when set to the "ECS, autoscaling, Secrets Manager" address, adds what the ECS stand-in says
# (DescribeServices, AWS's JSON protocol, signed with SigV4 by curl as the prod account's local key: the stand-in
# verifies the signature and serves a cluster only to its own account).
set -euo pipefail
BASE=${BASE:-http://localhost:3000/v1.0}
ALB=${ALB:?set ALB to the address of "ALB (prod)" that npm start printed}
show() { echo "\$ $*" | sed -E 's/Bearer [A-Za-z0-9._-]+/Bearer $TOKEN/'; eval "$@"; echo; echo; }
OP=$(npm run -s token -- --role Operator | tail -1)
ALICE=$(npm run -s token -- --user alice --email alice@acme.test | tail -1)

# Polls GET $1 (a status path) every second until its state is $2 (or FAILED, or 120 s): each new state once.
poll() {
  local path=$1 want=$2 started=$3 last='' answer state
  echo "\$ curl -s $BASE${path#/v1.0} -H 'authorization: Bearer \$TOKEN'   # every second, until $want"
  for _ in $(seq 1 120); do
    answer=$(curl -s "$BASE${path#/v1.0}" -H "authorization: Bearer $OP")
    state=$(jq -r .state <<<"$answer")
    if [ "$state" != "$last" ]; then
      echo "# +$(($(date +%s) - started)) s"
      jq -c 'del(._links)' <<<"$answer"
      last=$state
    fi
    if [ "$state" = "$want" ] || [ "$state" = FAILED ]; then break; fi
    sleep 1
  done
  echo; echo
}

CREATE="curl -s -i -X POST $BASE/tenants -H 'authorization: Bearer $OP' -H 'content-type: application/json' -d '{\"organizationName\":\"Wordsmith $$\",\"contactEmail\":\"ops@wordsmith.test\",\"environment\":\"prod\"}'"
show "$CREATE" | tee /tmp/bbws-instance-walkthrough-tenant.txt
ID=$(grep -i '^location:' /tmp/bbws-instance-walkthrough-tenant.txt | tr -d '\r' | sed 's#.*/tenants/##')
show "curl -s -X POST $BASE/tenants/$ID/users -H 'authorization: Bearer $OP' -H 'content-type: application/json' -d '{\"email\":\"alice@acme.test\",\"role\":\"TenantAdmin\"}'"
echo "# a TenantAdmin may not create an instance (Admin and Operator only)"
show "curl -s -X POST $BASE/tenants/$ID/instances -H 'authorization: Bearer $ALICE' -H 'content-type: application/json' -d '{\"environment\":\"prod\"}'"
STARTED=$(date +%s)
show "curl -s -i -X POST $BASE/tenants/$ID/instances -H 'authorization: Bearer $OP' -H 'content-type: application/json' -d '{\"environment\":\"prod\"}'" | tee /tmp/bbws-instance-walkthrough-instance.txt
INSTANCE=$(grep -i '^location:' /tmp/bbws-instance-walkthrough-instance.txt | tr -d '\r' | sed 's#.*/instances/##')
echo "# one instance per tenant and environment"
show "curl -s -X POST $BASE/tenants/$ID/instances -H 'authorization: Bearer $OP' -H 'content-type: application/json' -d '{\"environment\":\"prod\"}'"
echo "# the status while the commit, the workflow run and ECS go by"
poll "/v1.0/tenants/$ID/instances/$INSTANCE/status" ACTIVE "$STARTED"
echo "# the tenant's WordPress behind the prod ALB stand-in: routed on X-Tenant-Id; no rule matches without it"
show "curl -s -i $ALB/ -H 'x-tenant-id: $ID' | head -5"
show "curl -s '$ALB/wp-json/' -H 'x-tenant-id: $ID' | head -c 300"
show "curl -s -o /dev/null -w '%{http_code}' $ALB/"
echo "# a scale by the TenantAdmin: within the plan's bounds (starter: 1..2), else 422"
show "curl -s -X POST $BASE/tenants/$ID/instances/$INSTANCE/scale -H 'authorization: Bearer $ALICE' -H 'content-type: application/json' -d '{\"desiredCount\":3}'"
STARTED=$(date +%s)
show "curl -s -X POST $BASE/tenants/$ID/instances/$INSTANCE/scale -H 'authorization: Bearer $ALICE' -H 'content-type: application/json' -d '{\"desiredCount\":2}' | jq -c 'del(._links)'"
poll "/v1.0/tenants/$ID/instances/$INSTANCE/status" ACTIVE "$STARTED"
if [ -n "${ECS:-}" ]; then
  echo "# out of band: the service as the ECS stand-in has it"
  show "curl -s -X POST $ECS/ -H 'x-amz-target: AmazonEC2ContainerServiceV20141113.DescribeServices' -H 'content-type: application/x-amz-json-1.1' --aws-sigv4 'aws:amz:af-south-1:ecs' --user 'AKIALOCAL333333333333:local-333333333333' -d '{\"cluster\":\"bbws-prod\",\"services\":[\"bbws-prod-tenant-$ID\"]}' | jq -c '.services[] | {serviceName, status, desiredCount, runningCount, taskDefinition}'"
fi
show "curl -s '$BASE/instances?state=ACTIVE&environment=prod&limit=5' -H 'authorization: Bearer $OP' | jq -c '[.items[] | {tenantId, instanceId, state, desiredCount, albSlot}]'"
