import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, cpSync, writeFileSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generate } from 'selfsigned';
import { PROVIDER_LOCK_FILE } from '../../stacks/core/provider-lock';
import { EnvironmentError } from '../cli/errors';
import { registerCleanup, temporaryDirectory } from '../cli/interrupts';

const run = promisify(execFile);

/** The provider every stack is planned with; the mirror must hold this exact version. */
export const AWS_PROVIDER = { source: 'registry.terraform.io/hashicorp/aws', version: '5.100.0' } as const;

/** Raised when the machine lacks what an offline plan needs; the message says how to fix it. */
export class OfflinePlanSetupError extends EnvironmentError {}

/**
 * Folders Terraform itself searches as implied local mirrors, plus the children of the usual system folders for
 * tools, so a mirror installed next to other tools is found without naming its path in the repository.
 */
function candidateMirrorRoots(): string[] {
  const home = homedir();
  const dataDirs = (process.env.XDG_DATA_DIRS ?? '/usr/local/share:/usr/share').split(':').filter(Boolean);
  const implied = [
    join(home, '.terraform.d', 'plugins'),
    join(process.env.XDG_DATA_HOME ?? join(home, '.local', 'share'), 'terraform', 'plugins'),
    ...dataDirs.map((dir) => join(dir, 'terraform', 'plugins')),
  ];
  const toolParents = ['/opt', '/usr/local/lib', '/usr/local/share', '/srv'];
  const children = toolParents.flatMap((parent) => {
    try {
      return readdirSync(parent, { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => join(parent, entry.name));
    } catch {
      return [];
    }
  });
  return [...implied, ...children];
}

function holdsProvider(root: string): boolean {
  const [host, namespace, type] = AWS_PROVIDER.source.split('/');
  const versionDir = join(root, host, namespace, type, AWS_PROVIDER.version);
  const packed = join(root, host, namespace, type, `terraform-provider-${type}_${AWS_PROVIDER.version}_linux_amd64.zip`);
  return existsSync(versionDir) || existsSync(packed);
}

/** Mirror paths named in an existing Terraform CLI config file (`filesystem_mirror { path = "..." }`). */
function mirrorsInCliConfig(file: string | undefined): string[] {
  if (!file || !existsSync(file)) return [];
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/filesystem_mirror\s*{[^}]*?path\s*=\s*"([^"]+)"/g)].map((m) => m[1]);
}

/**
 * Finds a filesystem mirror holding the AWS provider: `TF_PROVIDER_MIRROR` when set, then mirrors named by the
 * current `TF_CLI_CONFIG_FILE`, then Terraform's implied mirror folders and the usual tool folders.
 */
export function findProviderMirror(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.TF_PROVIDER_MIRROR;
  if (explicit) {
    if (holdsProvider(explicit)) return explicit;
    throw new OfflinePlanSetupError(
      `TF_PROVIDER_MIRROR=${explicit} does not hold ${AWS_PROVIDER.source} ${AWS_PROVIDER.version}. ` +
        `Fill it with: terraform providers mirror -platform=linux_amd64 ${explicit} (on a machine with internet access).`,
    );
  }
  const found = [...mirrorsInCliConfig(env.TF_CLI_CONFIG_FILE), ...candidateMirrorRoots()].find(holdsProvider);
  if (found) return found;
  throw new OfflinePlanSetupError(
    `No Terraform provider mirror with ${AWS_PROVIDER.source} ${AWS_PROVIDER.version} was found. ` +
      'Set TF_PROVIDER_MIRROR to a folder laid out as <folder>/registry.terraform.io/hashicorp/aws/' +
      `${AWS_PROVIDER.version}/linux_amd64/, created with: terraform providers mirror -platform=linux_amd64 <folder>`,
  );
}

/** Checks that the `terraform` CLI runs, returning its version. */
export async function terraformVersion(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  try {
    const { stdout } = await run('terraform', ['version', '-json'], { env });
    return (JSON.parse(stdout) as { terraform_version: string }).terraform_version;
  } catch (error) {
    throw new OfflinePlanSetupError(
      `The terraform CLI is not usable (${(error as Error).message.split('\n')[0]}). Install Terraform >= 1.10 ` +
        '(https://developer.hashicorp.com/terraform/install) and put it on PATH.',
    );
  }
}

/** A Terraform CLI config that installs providers from the mirror only, never from the network. */
export function cliConfigFor(mirror: string): string {
  return [
    'provider_installation {',
    '  filesystem_mirror {',
    `    path    = ${JSON.stringify(mirror)}`,
    '    include = ["registry.terraform.io/hashicorp/*"]',
    '  }',
    '}',
    '',
  ].join('\n');
}

/**
 * Override file (Terraform merges `*_override.tf.json` over the stack): a local backend and a provider that makes
 * no AWS call to check credentials, account or region, so `plan` works with fake credentials and no network.
 * The `allowed_account_ids` guard needs the real account id, which an offline provider cannot learn, so the
 * override lifts it here only; every real plan and apply keeps it.
 */
export const OFFLINE_OVERRIDE = {
  terraform: { backend: { local: { path: 'terraform.tfstate' } } },
  provider: {
    aws: {
      skip_credentials_validation: true,
      skip_requesting_account_id: true,
      skip_metadata_api_check: true,
      skip_region_validation: true,
      allowed_account_ids: null,
    },
  },
};

/**
 * PEM files a synthesized stack reads from its own folder (`file(join("/", [path.module, "<name>.pem"]))`), such as
 * the source CA bundle DMS verifies MySQL with. The deploy pipeline downloads the real ones before synth and the
 * synth copies them beside `cdk.tf.json`; where one is missing, the offline plan writes a throwaway CA in its own
 * copy of the folder only, so that plans work without the download. The synthesized stacks are never touched.
 */
export function pemFilesReadByStack(stackJson: string): string[] {
  return [...new Set([...stackJson.matchAll(/path\.module, \\"([\w.-]+\.pem)\\"/g)].map((match) => match[1]))];
}

let standInCa: Promise<string> | undefined;
/**
 * A self-signed CA certificate that stands in for a missing PEM file in an offline plan: one per process, so that
 * plans of the same stack in one run (the re-plan test plans each stack several times) see the same file.
 */
function standInCaPem(): Promise<string> {
  standInCa ??= generate([{ name: 'commonName', value: 'unicornhealth offline-plan stand-in CA (not a real CA)' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [{ name: 'basicConstraints', cA: true, critical: true }],
  }).then((pems) => pems.cert);
  return standInCa;
}

async function provideMissingPemFiles(dir: string): Promise<void> {
  for (const name of pemFilesReadByStack(readFileSync(join(dir, 'cdk.tf.json'), 'utf8'))) {
    if (!existsSync(join(dir, name))) writeFileSync(join(dir, name), await standInCaPem());
  }
}

export interface ResourceChange {
  readonly address: string;
  readonly type: string;
  readonly actions: readonly string[];
}

export interface StackPlanResult {
  readonly stack: string;
  readonly directory: string;
  readonly resourceChanges: readonly ResourceChange[];
  /** Count of planned resources per type. */
  readonly resourceTypes: Readonly<Record<string, number>>;
  readonly seconds: { readonly init: number; readonly validate: number; readonly plan: number };
  /** `terraform show -json` of the saved plan. */
  readonly planJson: unknown;
}

interface PlanJson {
  resource_changes?: { address: string; type: string; mode: string; change: { actions: string[] } }[];
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const start = process.hrtime.bigint();
  const result = await work();
  return [result, Number(process.hrtime.bigint() - start) / 1e9];
}

/** Environment for the terraform CLI: the mirror-only config, fake credentials, no IMDS, no checkpoint calls. */
function terraformEnv(cliConfigFile: string, pluginCacheDir?: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    TF_CLI_CONFIG_FILE: cliConfigFile,
    TF_IN_AUTOMATION: '1',
    TF_INPUT: '0',
    CHECKPOINT_DISABLE: '1',
    ...(pluginCacheDir ? { TF_PLUGIN_CACHE_DIR: pluginCacheDir } : {}),
    AWS_ACCESS_KEY_ID: 'offline-plan-fake-access-key',
    AWS_SECRET_ACCESS_KEY: 'offline-plan-fake-secret-not-a-credential',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PROFILE: '',
  };
}

async function runTerraform(dir: string, env: NodeJS.ProcessEnv, args: string[], signal: AbortSignal): Promise<string> {
  try {
    const { stdout } = await run('terraform', args, { cwd: dir, env, maxBuffer: 256 * 1024 * 1024, signal });
    return stdout;
  } catch (error) {
    const failure = error as Error & { stderr?: string; stdout?: string };
    throw new Error(`terraform ${args[0]} failed in ${dir}:\n${failure.stderr || failure.stdout || failure.message}`);
  }
}

export interface OfflinePlanOptions {
  /** Folder of the synthesized stacks (`cdktf.out/stacks`). */
  readonly stacksDir: string;
  /** Stack names to plan. @default every stack in stacksDir */
  readonly stacks?: readonly string[];
  /** @default discovered with findProviderMirror */
  readonly mirror?: string;
  /** Keep the working folders (for `terraform show` afterwards). @default false */
  readonly keepWorkDirs?: boolean;
  /**
   * Existing state per stack (Terraform state JSON), to plan changes against something already deployed: how the
   * tests get a plan that replaces the RDS instance without an AWS account. @default empty state
   */
  readonly states?: Readonly<Record<string, object>>;
  /** Told when a stack enters each phase (init, validate, plan, show), for progress. */
  readonly onPhase?: (stack: string, phase: 'init' | 'validate' | 'plan' | 'show') => void;
}

/**
 * Copies each synthesized stack to a temporary folder, forces a local backend and offline provider settings, and
 * runs `terraform init` (against the committed provider lock file, read-only), `validate` and `plan` against the
 * provider mirror. Stacks are planned concurrently.
 */
export async function planOffline(options: OfflinePlanOptions): Promise<StackPlanResult[]> {
  await terraformVersion();
  const mirror = options.mirror ?? findProviderMirror();
  const stacks =
    options.stacks ?? readdirSync(options.stacksDir).filter((name) => existsSync(join(options.stacksDir, name, 'cdk.tf.json')));
  if (stacks.length === 0) {
    throw new OfflinePlanSetupError(`No synthesized stacks in ${options.stacksDir}; run npm run synth first.`);
  }
  const work = temporaryDirectory('unicornhealth-offline-plan-');
  const root = work.path;
  // An interrupt stops every terraform child at once; its folder goes with `work`.
  const children = new AbortController();
  const stopChildren = (): void => children.abort();
  const unregister = registerCleanup('stop terraform', stopChildren, stopChildren);
  const terraform = (dir: string, env: NodeJS.ProcessEnv, args: string[]): Promise<string> => runTerraform(dir, env, args, children.signal);
  const cliConfigFile = join(root, 'terraform.rc');
  writeFileSync(cliConfigFile, cliConfigFor(mirror));
  const env = terraformEnv(cliConfigFile);
  try {
    return await Promise.all(
      stacks.map(async (stack): Promise<StackPlanResult> => {
        const dir = join(root, stack);
        if (!existsSync(join(options.stacksDir, stack, PROVIDER_LOCK_FILE))) {
          throw new OfflinePlanSetupError(
            `${join(options.stacksDir, stack)} has no ${PROVIDER_LOCK_FILE}; synthesize again (npm run synth), which copies the committed one into every stack.`,
          );
        }
        cpSync(join(options.stacksDir, stack), dir, { recursive: true });
        rmSync(join(dir, '.terraform'), { recursive: true, force: true });
        writeFileSync(join(dir, 'offline_override.tf.json'), JSON.stringify(OFFLINE_OVERRIDE, null, 2));
        await provideMissingPemFiles(dir);
        const state = options.states?.[stack];
        if (state) writeFileSync(join(dir, 'terraform.tfstate'), JSON.stringify(state));
        const phase = (name: 'init' | 'validate' | 'plan' | 'show'): void => options.onPhase?.(stack, name);
        phase('init');
        // Readonly: the provider must match the committed lock file (version and hashes), or init fails.
        const [, init] = await timed(() =>
          terraform(dir, env, ['init', '-input=false', '-no-color', '-reconfigure', '-lockfile=readonly']),
        );
        phase('validate');
        const [, validate] = await timed(() => terraform(dir, env, ['validate', '-no-color']));
        phase('plan');
        const [, plan] = await timed(() =>
          terraform(dir, env, ['plan', '-input=false', '-no-color', '-lock=false', '-refresh=false', '-out=offline.tfplan']),
        );
        phase('show');
        const planJson = JSON.parse(await terraform(dir, env, ['show', '-json', 'offline.tfplan'])) as PlanJson;
        const resourceChanges = (planJson.resource_changes ?? [])
          .filter((change) => change.mode === 'managed')
          .map((change) => ({ address: change.address, type: change.type, actions: change.change.actions }));
        const resourceTypes: Record<string, number> = {};
        for (const change of resourceChanges) resourceTypes[change.type] = (resourceTypes[change.type] ?? 0) + 1;
        return { stack, directory: dir, resourceChanges, resourceTypes, seconds: { init, validate, plan }, planJson };
      }),
    );
  } finally {
    unregister();
    if (options.keepWorkDirs) work.keep();
    else work.remove();
  }
}
