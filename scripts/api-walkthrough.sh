#!/usr/bin/env bash
# The curl walkthrough of docs/api.md, runnable against `npm start` (BASE overrides the address).
# Prints each command and its answer.
set -euo pipefail
BASE=${BASE:-http://localhost:3000/v1.0}
show() { echo "\$ $*" | sed -E 's/Bearer [A-Za-z0-9._-]+/Bearer $TOKEN/'; eval "$@"; echo; echo; }
OP=$(npm run -s token -- --role Operator | tail -1)
ALICE=$(npm run -s token -- --user alice --email alice@acme.test | tail -1)
BOB=$(npm run -s token -- --user bob --email bob@acme.test | tail -1)
PROTO=$(npm run -s token -- --user constructor | tail -1)

CREATE="curl -s -i -X POST $BASE/tenants -H 'authorization: Bearer $OP' -H 'content-type: application/json' -H 'idempotency-key: create-acme-$$' -d '{\"organizationName\":\"Acme Corp $$\",\"contactEmail\":\"ops@acme.test\",\"environment\":\"prod\"}'"
show "$CREATE" | tee /tmp/bbws-walkthrough-create.txt
ID=$(grep -i '^location:' /tmp/bbws-walkthrough-create.txt | tr -d '\r' | sed 's#.*/tenants/##')
echo "# the same request again, same Idempotency-Key: the first answer, nothing appended"
show "$CREATE"
show "curl -s -X POST $BASE/tenants -H 'authorization: Bearer $OP' -H 'content-type: application/json' -d '{\"organizationName\":\"ACME  corp $$\",\"contactEmail\":\"x@acme.test\",\"environment\":\"prod\"}'"
show "curl -s -X POST $BASE/tenants/$ID/users -H 'authorization: Bearer $OP' -H 'content-type: application/json' -d '{\"email\":\"alice@acme.test\",\"role\":\"TenantAdmin\"}'"
echo "# an address without an account: neither the address nor whether it has an account comes back"
show "curl -s -X POST $BASE/tenants/$ID/users -H 'authorization: Bearer $ALICE' -H 'content-type: application/json' -d '{\"email\":\"ghost@elsewhere.test\",\"role\":\"TenantMember\"}'"
show "curl -s -X POST $BASE/tenants/$ID/users -H 'authorization: Bearer $ALICE' -H 'content-type: application/json' -d '{\"userId\":\"bob\",\"role\":\"TenantMember\"}'"
show "curl -s -i $BASE/tenants/$ID -H 'authorization: Bearer $ALICE'" | tee /tmp/bbws-walkthrough-get.txt
ETAG=$(grep -i '^etag:' /tmp/bbws-walkthrough-get.txt | tr -d '\r' | sed 's/^etag: //I; s/"//g')
echo "# a stale ETag is refused (412, never retried); so is a weak one (If-Match compares strongly); the current one is accepted"
show "curl -s -X PATCH $BASE/tenants/$ID -H 'authorization: Bearer $ALICE' -H 'content-type: application/json' -H 'if-match: \"1\"' -d '{\"contactEmail\":\"it@acme.test\"}'"
show "curl -s -X PATCH $BASE/tenants/$ID -H 'authorization: Bearer $ALICE' -H 'content-type: application/json' -H 'if-match: W/\"$ETAG\"' -d '{\"contactEmail\":\"it@acme.test\"}'"
show "curl -s -X PATCH $BASE/tenants/$ID -H 'authorization: Bearer $ALICE' -H 'content-type: application/json' -H 'if-match: \"$ETAG\"' -d '{\"contactEmail\":\"it@acme.test\"}'"
show "curl -s -X POST $BASE/tenants/$ID/park -H 'authorization: Bearer $BOB' -H 'content-type: application/json' -d '{\"reason\":\"invoice overdue\"}'"
show "curl -s -X POST $BASE/tenants/$ID/park -H 'authorization: Bearer $ALICE' -H 'content-type: application/json' -d '{\"reason\":\"invoice overdue\"}'"
show "curl -s -i $BASE/tenants/$ID/status -H 'authorization: Bearer $BOB'" | tee /tmp/bbws-walkthrough-status.txt
STATUS_ETAG=$(grep -i '^etag:' /tmp/bbws-walkthrough-status.txt | tr -d '\r' | sed 's/^etag: //I')
echo "# polling with If-None-Match: 304 and no body while the tenant is unchanged"
show "curl -s -i $BASE/tenants/$ID/status -H 'authorization: Bearer $BOB' -H 'if-none-match: $STATUS_ETAG'"
echo "# another tenant's name: taken, without saying whose or which"
show "curl -s -o /dev/null -X POST $BASE/tenants -H 'authorization: Bearer $OP' -H 'content-type: application/json' -d '{\"organizationName\":\"Rival Ltd $$\",\"contactEmail\":\"ops@rival.test\",\"environment\":\"prod\"}'"
show "curl -s -X PATCH $BASE/tenants/$ID -H 'authorization: Bearer $ALICE' -H 'content-type: application/json' -d '{\"organizationName\":\"rival ltd $$\"}'"
show "curl -s -X PUT $BASE/tenants/$ID/hierarchy -H 'authorization: Bearer $ALICE' -H 'content-type: application/json' -d '{\"divisions\":[{\"name\":\"Sales\",\"groups\":[{\"name\":\"EMEA\",\"teams\":[\"North\",\"South\"]}]}]}'"
show "curl -s '$BASE/tenants?status=PARKED&limit=10' -H 'authorization: Bearer $OP'"
show "curl -s $BASE/users/bob/tenants -H 'authorization: Bearer $BOB'"
show "curl -s '$BASE/tenants/$ID/events?limit=3' -H 'authorization: Bearer $ALICE'"
show "curl -s -X DELETE $BASE/tenants/$ID/users/bob -H 'authorization: Bearer $ALICE' -o /dev/null -w '%{http_code}'"
show "curl -s $BASE/tenants/$ID -H 'authorization: Bearer $BOB'"
show "curl -s -X POST $BASE/tenants -H 'authorization: Bearer $OP' -H 'content-type: application/json' -d '{\"organizationName\":\"Beta\",\"contactEmail\":\"ops@beta.test\",\"environment\":\"prod\",\"plan\":\"gold\"}'"
show "curl -s $BASE/tenants -H 'authorization: Bearer not-a-token'"
echo "# an id no stream can have is a 400, and a user called constructor is a member of nothing"
show "curl -s $BASE/tenants/-abc -H 'authorization: Bearer $OP'"
show "curl -s $BASE/tenants/$ID -H 'authorization: Bearer $PROTO'"
