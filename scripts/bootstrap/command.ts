import { Option } from '@commander-js/extra-typings';
import { S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { accounts } from '../../config/accounts';
import { environments } from '../../config/environments';
import { clientSettings } from '../aws/clients';
import { defineCommand } from '../cli/command';
import { CheckFailedError, UsageError } from '../cli/errors';
import { formatTable, left } from '../cli/output';
import { ensureStateBucket } from './state-bucket';

export const command = defineCommand({
  name: 'bootstrap',
  description: "Create an account's Terraform state bucket (versioned, encrypted, public access blocked, TLS only), idempotently",
  options: (command) =>
    command.addOption(
      new Option('--env <name>', 'environment whose account gets its state bucket')
        .choices(environments.map((e) => e.name))
        .makeOptionMandatory(),
    ),
  help: `
Terraform cannot create the bucket that holds its own state, so this runs once per account before the first deploy
(and is harmless to run again: every setting already right is left alone). The credentials must be of the
environment's account.`,
  async run(options, { progress, width }) {
    const environment = environments.find((e) => e.name === options.env)!;
    const account = accounts.find((a) => a.name === environment.account);
    if (!account?.stateBackend) throw new UsageError(`environment ${environment.name} has no state backend in config/accounts.ts`);
    const { bucket, region, kmsKeyId } = account.stateBackend;
    progress.update('checking the credentials');
    const identity = await new STSClient(clientSettings(region)).send(new GetCallerIdentityCommand({}));
    if (identity.Account !== account.id) {
      throw new CheckFailedError(
        `the credentials are for account ${identity.Account}, but ${environment.name} is in account ${account.id}: nothing was created`,
      );
    }
    progress.update(`bootstrapping s3://${bucket}`);
    const steps = await ensureStateBucket(new S3Client(clientSettings(region)), { name: bucket, region, accountId: account.id, kmsKeyId });
    const next = `npm run preflight -- --env ${environment.name}`;
    return {
      ok: true,
      json: { bucket, region, account: account.id, steps, next },
      text: [
        formatTable(
          [left('setting'), left('outcome')],
          steps.map((s) => [s.setting, s.outcome]),
          width,
        ),
        `state bucket s3://${bucket} is ready; next: ${next}`,
      ].join('\n'),
    };
  },
});
