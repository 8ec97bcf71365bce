import { Command, InvalidArgumentError, Option, OptionValues } from '@commander-js/extra-typings';
import { existingFile, integer } from '../cli/options';
import { parseSslMode } from './connection';

/**
 * The connection options `seed` and `smoke` share, declared once: the environment's RDS from its Terraform outputs
 * (the default), through a port forward, or any MySQL by `--host`.
 */
export function addTargetOptions<O extends OptionValues>(command: Command<[], O>) {
  return command
    .addOption(new Option('--env <name>', 'environment whose Terraform outputs name the RDS endpoint and master secret').default('dev'))
    .addOption(new Option('--outputs <file>', 'read the outputs from a saved `terraform output -json` instead').argParser(existingFile))
    .addOption(
      new Option(
        '--host <host>',
        'any MySQL/MariaDB instead of the environment (with --user, --database; password from MYSQL_PWD)',
      ).conflicts('tunnelHost'),
    )
    .addOption(
      new Option('--port <port>', 'server port (default 3306, or the rds_port output)').argParser(integer({ min: 1, max: 65_535 })),
    )
    .addOption(new Option('--user <user>', 'user, with --host'))
    .addOption(new Option('--database <name>', 'database, with --host'))
    .addOption(
      new Option('--ssl-mode <mode>', 'DISABLED | REQUIRED | VERIFY_CA | VERIFY_IDENTITY')
        .default(parseSslMode('VERIFY_IDENTITY'))
        .argParser(parseSslMode),
    )
    .addOption(
      new Option(
        '--ca-bundle <file>',
        'trusted CA bundle (RDS: https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem)',
      ).argParser(existingFile),
    )
    .addOption(
      new Option('--tls-servername <name>', 'certificate name to verify through a port forward (default: the rds_endpoint output)'),
    )
    .addOption(
      new Option('--tunnel-host <host>', 'local address of a Session Manager port forward (with --port); TLS still verifies the endpoint'),
    )
    .addOption(
      new Option('--password <password>', 'refused: passwords are never flags').hideHelp().argParser((): string => {
        throw new InvalidArgumentError('passwords are never flags: set MYSQL_PWD.');
      }),
    );
}
