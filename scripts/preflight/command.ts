import { Option } from '@commander-js/extra-typings';
import { EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient } from '@aws-sdk/client-iam';
import { LakeFormationClient } from '@aws-sdk/client-lakeformation';
import { RDSClient } from '@aws-sdk/client-rds';
import { RedshiftServerlessClient } from '@aws-sdk/client-redshift-serverless';
import { S3Client } from '@aws-sdk/client-s3';
import { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { STSClient } from '@aws-sdk/client-sts';
import { clientSettings } from '../aws/clients';
import { defineCommand } from '../cli/command';
import { integer, listOf } from '../cli/options';
import { CHECK_IDS, PreflightClients, runPreflight } from './checks';
import { terraformPlanRunner } from './plan';
import { formatPreflightReport } from './report';
import { PreflightTarget, environmentNames, targetOf } from './target';

/** The SDK clients of one environment, with the shared retry settings. */
function clientsFor(target: PreflightTarget): PreflightClients {
  const settings = clientSettings(target.region);
  return {
    sts: new STSClient(settings),
    iam: new IAMClient(settings),
    ec2: new EC2Client(settings),
    serviceQuotas: new ServiceQuotasClient(settings),
    rds: new RDSClient(settings),
    lakeFormation: new LakeFormationClient(settings),
    redshiftServerless: new RedshiftServerlessClient(settings),
    stateS3: new S3Client(clientSettings(target.state?.region ?? target.region)),
  };
}

export const command = defineCommand({
  name: 'preflight',
  description:
    "Before a deploy or a release: read-only checks of every prerequisite in the environment's AWS account, each with its evidence and, on failure, the fix",
  options: (command) =>
    command
      .addOption(new Option('--env <name>', 'environment to check').choices(environmentNames()).makeOptionMandatory())
      .addOption(new Option('--skip <ids>', `skip these checks (comma-separated: ${CHECK_IDS.join(', ')})`).argParser(listOf(CHECK_IDS)))
      .addOption(
        new Option('--plan-timeout <seconds>', 'bound on the terraform plan of the drift check')
          .default(900)
          .argParser(integer({ min: 10, max: 3600 })),
      )
      .addOption(new Option('--verbose', 'list every check with its evidence, not only failures and warnings')),
  help: `
Checks, in order:
  ${CHECK_IDS.join(', ')}
Every AWS call is read-only (STS, IAM, EC2, Service Quotas, RDS, Lake Formation, Redshift Serverless, S3 HEAD); the
drift check runs terraform plan -detailed-exitcode -lock=false in cdktf.out/stacks/<stack> when the stack's S3 state
exists. Warnings and skipped checks do not fail the run. A check AWS refuses (AccessDenied) is reported as that
check's error and the others still run: exit 3 when nothing else failed.

Example: npm run -s preflight -- --env dev --json`,
  async run(options, { progress, width }) {
    const target = targetOf(options.env);
    const report = await runPreflight(
      { target, clients: clientsFor(target), runPlan: terraformPlanRunner(options.planTimeout * 1000) },
      { skip: options.skip, onCheck: (id, title) => progress.update(`preflight ${target.environment}: ${id} (${title})`) },
    );
    return {
      ok: report.exitCode === 0,
      exitCode: report.exitCode,
      json: { ...report },
      text: formatPreflightReport(report, { verbose: options.verbose, width }),
    };
  },
});
