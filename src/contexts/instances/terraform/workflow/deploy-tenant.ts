import { TERRAFORM_VERSION } from '../versions.js';
import { toYaml, type YamlValue } from './yaml.js';

/** Where the environment repositories keep the workflow the control plane dispatches. */
export const DEPLOY_TENANT_WORKFLOW_PATH = '.github/workflows/deploy-tenant.yml';

/** Third-party actions pinned to commits (a tag can move); the version is in each step's name. */
export const ACTIONS = {
  checkout: { uses: 'actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1', version: 'v7.0.1' },
  awsCredentials: {
    uses: 'aws-actions/configure-aws-credentials@e6de054238d6b7531b4efff3b6587d9aade6a06c',
    version: 'v6.2.3',
  },
  setupTerraform: {
    uses: 'hashicorp/setup-terraform@dfe3c3f87815947d99a8997f908cb6525fc44e9e',
    version: 'v4.0.1',
  },
} as const;

/** A GitHub expression, `${{ ... }}` (built here so no literal in this file looks like a JS template). */
const gh = (expression: string) => `\${{ ${expression} }}`;

const TENANT_DIR = `tenants/${gh('inputs.tenant_id')}`;
const terraformStep = (name: string, condition: string, run: string) => ({
  name,
  if: condition,
  'working-directory': TENANT_DIR,
  run,
});

/**
 * The workflow as data. Inputs reach shell scripts only through `env` (never `${{ }}` inside `run`, which would
 * let an input inject shell). The run name carries the causing event id so the control plane can find its run.
 */
export const deployTenantWorkflowDefinition = {
  name: 'deploy-tenant',
  'run-name': `${gh('inputs.action')} tenant ${gh('inputs.tenant_id')} [event ${gh('inputs.event_id')}]`,
  on: {
    workflow_dispatch: {
      inputs: {
        tenant_id: {
          description: 'Tenant id (ULID): the folder tenants/<tenant_id>',
          required: true,
          type: 'string',
        },
        action: {
          description: 'apply or destroy',
          required: true,
          type: 'choice',
          options: ['apply', 'destroy'],
        },
        event_id: {
          description: 'Id of the control-plane event that caused this run (reconciliation looks for it)',
          required: true,
          type: 'string',
        },
      },
    },
  },
  permissions: { contents: 'read', 'id-token': 'write' },
  concurrency: { group: `deploy-tenant-${gh('inputs.tenant_id')}`, 'cancel-in-progress': false },
  jobs: {
    terraform: {
      name: `terraform ${gh('inputs.action')}`,
      'runs-on': ['self-hosted', 'linux', 'bbws-terraform'],
      'timeout-minutes': 60,
      env: { TF_IN_AUTOMATION: 'true', TF_INPUT: 'false' },
      defaults: { run: { shell: 'bash' } },
      steps: [
        {
          name: 'Validate inputs',
          env: { TENANT_ID: gh('inputs.tenant_id'), EVENT_ID: gh('inputs.event_id') },
          run: [
            'set -euo pipefail',
            '[[ "$TENANT_ID" =~ ^[0-9A-HJKMNP-TV-Z]{26}$ ]] || { echo "::error::tenant_id is not a ULID"; exit 1; }',
            '[[ "$EVENT_ID" =~ ^[A-Za-z0-9_-]{1,64}$ ]] || { echo "::error::event_id is malformed"; exit 1; }',
            '',
          ].join('\n'),
        },
        {
          name: `Check out (actions/checkout ${ACTIONS.checkout.version})`,
          uses: ACTIONS.checkout.uses,
          with: { 'persist-credentials': false },
        },
        {
          name: `Assume the environment deploy role over OIDC (configure-aws-credentials ${ACTIONS.awsCredentials.version})`,
          uses: ACTIONS.awsCredentials.uses,
          with: {
            'role-to-assume': gh('vars.BBWS_DEPLOY_ROLE_ARN'),
            'aws-region': gh('vars.BBWS_AWS_REGION'),
            'role-session-name': `deploy-tenant-${gh('github.run_id')}`,
          },
        },
        {
          name: `Install Terraform ${TERRAFORM_VERSION} (setup-terraform ${ACTIONS.setupTerraform.version})`,
          uses: ACTIONS.setupTerraform.uses,
          with: { terraform_version: TERRAFORM_VERSION, terraform_wrapper: false },
        },
        terraformStep('terraform init', 'success()', 'terraform init -input=false\n'),
        terraformStep(
          'terraform plan',
          "inputs.action == 'apply'",
          'terraform plan -input=false -out=tfplan\n',
        ),
        terraformStep('terraform apply', "inputs.action == 'apply'", 'terraform apply -input=false tfplan\n'),
        terraformStep(
          'terraform destroy',
          "inputs.action == 'destroy'",
          'terraform plan -destroy -input=false -out=tfplan\nterraform apply -input=false tfplan\n',
        ),
        terraformStep(
          'Collect outputs (ARNs and ids only: no output carries a secret)',
          "success() && inputs.action == 'apply'",
          'terraform output -json | jq \'map_values(.value)\' > "$RUNNER_TEMP/outputs.json"\n',
        ),
        reportStep(),
      ],
    },
  },
} as const satisfies YamlValue;

/**
 * Always runs, and POSTs the outcome to the control plane's webhook with an HMAC-SHA256 signature of the body
 * (header X-BBWS-Signature-256: sha256=<hex>). The `workflow_run` webhook and polling remain the backstops.
 */
function reportStep() {
  return {
    name: 'Report the outcome to the control plane',
    if: 'always()',
    env: {
      WEBHOOK_URL: gh('vars.BBWS_CONTROL_PLANE_WEBHOOK_URL'),
      WEBHOOK_SECRET: gh('secrets.BBWS_CONTROL_PLANE_WEBHOOK_SECRET'),
      OUTCOME: gh('job.status'),
      TENANT_ID: gh('inputs.tenant_id'),
      ACTION: gh('inputs.action'),
      EVENT_ID: gh('inputs.event_id'),
      RUN_ID: gh('github.run_id'),
      RUN_ATTEMPT: gh('github.run_attempt'),
      COMMIT_SHA: gh('github.sha'),
      REPOSITORY: gh('github.repository'),
    },
    run: [
      'set -euo pipefail',
      'outputs="$RUNNER_TEMP/outputs.json"',
      '[[ -s "$outputs" ]] || echo "{}" > "$outputs"',
      'body=$(jq -cn --slurpfile outputs "$outputs" \\',
      '  --arg tenantId "$TENANT_ID" --arg action "$ACTION" --arg eventId "$EVENT_ID" --arg outcome "$OUTCOME" \\',
      '  --arg runId "$RUN_ID" --arg runAttempt "$RUN_ATTEMPT" --arg commitSha "$COMMIT_SHA" --arg repository "$REPOSITORY" \\',
      "  '{tenantId: $tenantId, action: $action, eventId: $eventId, outcome: $outcome, runId: $runId,",
      "    runAttempt: $runAttempt, commitSha: $commitSha, repository: $repository, outputs: $outputs[0]}')",
      'signature="sha256=$(printf \'%s\' "$body" | openssl dgst -sha256 -hmac "$WEBHOOK_SECRET" -r | cut -d" " -f1)"',
      'curl --fail --silent --show-error --retry 5 --retry-all-errors --max-time 20 \\',
      '  -H "content-type: application/json" -H "x-bbws-signature-256: $signature" \\',
      '  --data-binary "$body" "$WEBHOOK_URL"',
      '',
    ].join('\n'),
  };
}

/** The workflow file's text, the same for every environment repository (their differences are repo variables). */
export const deployTenantWorkflow = (): string => toYaml(deployTenantWorkflowDefinition);
