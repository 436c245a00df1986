import { type FromEnvInit, fromEnv } from '@aws-sdk/credential-provider-env';
import type { AwsCredentialIdentityProvider } from '@smithy/types';

/**
 * What the Lambda bundles use in place of `@aws-sdk/credential-provider-node`, the SDK's default credential chain
 * (serverless.yml, `custom.esbuild.alias`; nothing else imports this module). In Lambda the runtime always puts
 * the execution role's credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN), the chain's first source, so its other sources (SSO, ini files, credential processes, web
 * identity, container and instance metadata) never answer there; bundled, they and the STS/SSO clients they load
 * were a quarter of each function's code and about 12 ms of each cold start (docs/deployment.md, "Lambda
 * bundles"). The local runtime, the CLI and the tests do not use the bundles: they keep the whole chain.
 */
export const defaultProvider = (init: FromEnvInit = {}): AwsCredentialIdentityProvider => fromEnv(init);
