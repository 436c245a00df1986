import { parseArgs } from 'node:util';
import { ulid } from 'ulid';
import { localKeys, signLocalToken } from '#src/platform/auth/local-issuer.js';
import { loadConfig } from '#src/platform/config/config.js';
import { LocalIdentityDirectory } from '#src/platform/identity/local.identity-directory.js';

const HELP = `npm run -s token -- (--role Admin|Operator | --user <userId>) [--email <email>] [--expires <seconds>]

Prints a JWT of the local issuer (the same keys npm start verifies with) on its last line.
--role   a platform user in that Cognito group
--user   a plain user (tenant access comes from membership); also registered in the local identity directory
         with --email, so POST /tenants/{id}/users {email} can find it`;

const parseToken = (args: string[]) =>
  parseArgs({
    args,
    strict: true,
    options: {
      role: { type: 'string' },
      user: { type: 'string' },
      email: { type: 'string' },
      expires: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });

async function main(): Promise<void> {
  let values: ReturnType<typeof parseToken>['values'];
  try {
    ({ values } = parseToken(process.argv.slice(2)));
  } catch (error) {
    // parseArgs names the option; its suggestions about `--` do not apply here
    console.error(`${(error as Error).message.split('. ')[0]}\n\n${HELP}`);
    process.exit(2);
  }
  if (values.help || (!values.role && !values.user)) {
    console.log(HELP);
    process.exit(values.help ? 0 : 2);
  }
  if (values.role && !['Admin', 'Operator'].includes(values.role)) {
    console.error(`--role must be Admin or Operator, got ${values.role}\n\n${HELP}`);
    process.exit(2);
  }
  if (values.expires !== undefined && !/^\d+$/.test(values.expires)) {
    console.error(`--expires must be a number of seconds, got ${values.expires}\n\n${HELP}`);
    process.exit(2);
  }
  const config = loadConfig();
  const sub = values.user ?? `${values.role?.toLowerCase()}-${ulid()}`;
  const email = values.email ?? `${sub}@bbws.local`;
  await new LocalIdentityDirectory(config.LOCAL_IDENTITY_FILE).addUser({ userId: sub, email });
  const token = signLocalToken(
    localKeys(config.LOCAL_AUTH_DIR),
    {
      sub,
      email,
      ...(values.role ? { 'cognito:groups': [values.role] } : {}),
    },
    { expiresInSeconds: Number(values.expires ?? 3600) },
  );
  console.log(token);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
