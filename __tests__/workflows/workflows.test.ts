import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateWorkflow } from '@action-validator/core';
import { parse } from 'yaml';
import packageJson from '../../package.json';
import { rdsCaBundleFile } from '../../config/environments';
import { DeploymentTarget, deploymentTargets } from '../../scripts/github/targets';
import { AWS_PROVIDER } from '../../scripts/terraform/offline-plan';

/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * Every workflow is validated against the GitHub Actions workflow schema (offline, by @action-validator/core), and
 * the structure issue 13 asks for is asserted on the parsed files, with the environments and stacks taken from
 * config so that a new environment cannot be forgotten in a workflow.
 */
const DIR = join(__dirname, '..', '..', '.github', 'workflows');
const FILES = readdirSync(DIR).filter((name) => /\.ya?ml$/.test(name));
const text = (name: string): string => readFileSync(join(DIR, name), 'utf8');
const workflow = (name: string): any => parse(text(name));

interface Step {
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Record<string, unknown>;
  readonly env?: Record<string, string>;
  readonly if?: string;
  readonly id?: string;
}
const steps = (job: any): Step[] => job.steps ?? [];
/** Index of the first step whose run script or action matches; fails the test when there is none. */
function stepIndex(job: any, what: RegExp): number {
  const index = steps(job).findIndex((s) => what.test(s.run ?? '') || what.test(s.uses ?? ''));
  if (index < 0) throw new Error(`no step matches ${what}`);
  return index;
}
const stepOf = (job: any, what: RegExp): Step => steps(job)[stepIndex(job, what)];
const runs = (job: any): string =>
  steps(job)
    .map((s) => s.run ?? '')
    .join('\n');

const TARGETS = deploymentTargets();
/** A target's stacks in the order its jobs handle them: the baseline it owns first. */
const stacksOf = (target: DeploymentTarget): string[] => [...(target.baseline ? [target.baseline] : []), target.stack];

describe('every workflow file', () => {
  test('there are the pull-request, release and drift workflows', () => {
    expect(FILES.sort()).toEqual(['drift.yml', 'plan.yml', 'release-environment.yml', 'release.yml']);
  });

  test.each(FILES)('%s is valid against the GitHub Actions workflow schema', (name) => {
    expect(validateWorkflow(text(name)).errors).toEqual([]);
  });

  test.each(FILES)('%s: every terraform init installs exactly the committed provider lock file, which nothing removes', (name) => {
    const inits = text(name).match(/\bterraform(?: -chdir=\S+)? init(?=\s)[^\n]*/g) ?? [];
    if (name !== 'release.yml') expect(inits.length).toBeGreaterThan(0);
    for (const init of inits) expect(init).toContain('-lockfile=readonly');
    expect(text(name)).not.toMatch(/rm [^\n]*\.terraform\.lock\.hcl|-upgrade\b/);
  });

  test('the validator refuses a broken workflow (it runs here, offline)', () => {
    const broken = 'on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - uses: actions/checkout@v4\n        wiht: {}\n';
    expect(validateWorkflow(broken).errors).not.toEqual([]);
    expect(validateWorkflow('jobs: [\n').errors[0]).toMatchObject({ code: 'parse_error' });
  });

  test.each(FILES)('%s pins one Terraform version where it uses Terraform, and never auto-approves', (name) => {
    const versions = [...new Set([...text(name).matchAll(/TERRAFORM_VERSION: (\S+)/g)].map((m) => m[1]))];
    expect(versions).toEqual(text(name).includes('hashicorp/setup-terraform') ? ['1.11.4'] : []);
    expect(text(name)).not.toContain('-auto-approve');
  });

  test.each(FILES)('%s reads no labels from the event payload (a re-run would replay stale ones)', (name) => {
    expect(text(name)).not.toMatch(/event\.pull_request\.labels|event\.label/);
  });
});

describe('the pull-request workflow (plan.yml)', () => {
  const plan = workflow('plan.yml');

  test('runs on every change of the pull request and of its labels', () => {
    expect(plan.on.pull_request.types).toEqual(expect.arrayContaining(['opened', 'synchronize', 'reopened', 'labeled', 'unlabeled']));
  });

  test('tests on Node 20 and 22, the versions package.json supports', () => {
    expect(plan.jobs.test.strategy.matrix.node).toEqual([20, 22]);
    expect(stepOf(plan.jobs.test, /actions\/setup-node/).with!['node-version']).toBe('${{ matrix.node }}');
    expect(packageJson.engines.node).toBe('>=20');
  });

  test('the tests get MariaDB from apt (the runner is not root) and the provider mirror, then run npm test', () => {
    const job = plan.jobs.test;
    const install = stepIndex(job, /sudo DEBIAN_FRONTEND=noninteractive apt-get install .*mariadb-server/);
    const mirror = stepIndex(job, /terraform -chdir="\$config" providers mirror -platform=linux_amd64 "\$TF_PROVIDER_MIRROR"/);
    const test = stepIndex(job, /^npm test$/);
    expect(install).toBeLessThan(test);
    expect(mirror).toBeLessThan(test);
    expect(steps(job)[test].env!.TF_PROVIDER_MIRROR).toBe(steps(job)[mirror].env!.TF_PROVIDER_MIRROR);
    expect(plan.env.AWS_PROVIDER_VERSION).toBe(AWS_PROVIDER.version);
  });

  test('plans each environment in its own job, with its own plan role; the first environment of an account plans the baseline', () => {
    const job = plan.jobs.plan;
    expect(job.strategy.matrix.include).toEqual(
      TARGETS.map((t) => ({
        environment: t.environment,
        region: t.region,
        stacks: stacksOf(t).join(' '),
        planRoleVariable: t.planRoleVariable,
      })),
    );
    expect(job.env.PLAN_ROLE_ARN).toBe('${{ vars[matrix.planRoleVariable] }}');
    expect(job.permissions['id-token']).toBe('write');
    const credentials = stepOf(job, /aws-actions\/configure-aws-credentials/);
    expect(credentials.with).toMatchObject({ 'role-to-assume': '${{ env.PLAN_ROLE_ARN }}', 'aws-region': '${{ matrix.region }}' });
    expect(runs(job)).toMatch(/plan -input=false -no-color -lock=false -out=plan\.tfplan/);
    expect(runs(job)).toMatch(/show -no-color plan\.tfplan > "plans\/\$stack\.txt"/);
    expect(stepIndex(job, /truststore\.pki\.rds\.amazonaws\.com\/\$REGION\/\$REGION-bundle\.pem/)).toBeLessThan(
      stepIndex(job, /^npm run synth$/),
    );
  });

  test('the guard reads the current labels through the API and gives them to the summary', () => {
    const job = plan.jobs.summary;
    const approval = stepOf(job, /stateful-destroy-approval/);
    const summary = stepOf(job, /plan:summary/);
    expect(summary.env!.ALLOW_STATEFUL_DESTROY).toBe(`\${{ steps.${approval.id}.outputs.approved }}`);
    expect(summary.run).toContain('--plan-text "$stack=plans/$stack.txt"');
    expect(summary.run).toContain('--sarif policy.sarif');
    expect(job.needs).toBe('plan');
  });

  test('one comment, updated in place; SARIF uploaded; the check fails on the verdict', () => {
    const job = plan.jobs.summary;
    expect(stepIndex(job, /upsert-comment --body plan-comment\.md/)).toBeGreaterThan(stepIndex(job, /plan:summary/));
    expect(stepOf(job, /upload-sarif/).with!.sarif_file).toBe('policy.sarif');
    expect(stepIndex(job, /npm run synth/)).toBeLessThan(stepIndex(job, /plan:summary/));
    expect(steps(job).at(-1)!.if).toBe("steps.summary.outputs.exit != '0' || needs.plan.result != 'success'");
    expect(job.if).toBe('${{ !cancelled() }}');
    expect(job.permissions).toMatchObject({ 'pull-requests': 'write', 'security-events': 'write' });
  });
});

describe('the release (release.yml and release-environment.yml)', () => {
  const release = workflow('release.yml');
  const chain = workflow('release-environment.yml');
  const jobs = Object.entries<any>(release.jobs);

  test('one chain per environment, in config order, with the stacks and roles config gives', () => {
    expect(jobs.map(([name]) => name)).toEqual(TARGETS.map((t) => t.environment));
    for (const [name, job] of jobs) {
      const target = TARGETS.find((t) => t.environment === name)!;
      expect(job.uses).toBe('./.github/workflows/release-environment.yml');
      expect(job.with).toMatchObject({
        environment: target.environment,
        region: target.region,
        stack: target.stack,
        baseline: target.baseline ?? '',
        'plan-role-variable': target.planRoleVariable,
        'deploy-role-variable': target.deployRoleVariable,
      });
    }
    expect(release.jobs.dev.strategy).toBeUndefined();
  });

  test('each environment needs the one before it: prod needs dev explicitly, not by matrix order', () => {
    expect(release.jobs.prod.needs).toBe('dev');
    jobs.slice(1).forEach(([, job], i) => expect([job.needs].flat()).toContain(jobs[i][0]));
  });

  test('the plan job saves the plan, shows it in the job summary, uploads plan and text, after the preflight', () => {
    const job = chain.jobs.plan;
    expect(job.environment).toBeUndefined();
    const caBundle = stepIndex(
      job,
      /curl .* -o "\$CA_BUNDLE" "https:\/\/truststore\.pki\.rds\.amazonaws\.com\/\$REGION\/\$REGION-bundle\.pem"/,
    );
    expect(caBundle).toBeLessThan(stepIndex(job, /^npm run synth$/));
    expect(chain.env.CA_BUNDLE).toBe(rdsCaBundleFile('${{ inputs.region }}'));
    expect(stepIndex(job, /npm run preflight -- --env "\$ENVIRONMENT"/)).toBeLessThan(stepIndex(job, /-out=plan\.tfplan/));
    expect(runs(job)).toContain('for stack in $BASELINE $STACK; do');
    expect(runs(job)).toMatch(/show -no-color plan\.tfplan > "\$dir\/plan\.txt"/);
    expect(stepOf(job, /plan:summary/).run).toContain('--comment "$GITHUB_STEP_SUMMARY"');
    const upload = stepOf(job, /actions\/upload-artifact/);
    expect(upload.with).toMatchObject({ name: 'release-plan-${{ inputs.environment }}', 'include-hidden-files': true });
    expect(job.env.PLAN_ROLE_ARN).toBe('${{ vars[inputs.plan-role-variable] }}');
  });

  test('the apply job is gated by the GitHub environment and applies exactly the saved plans, the baseline first', () => {
    const job = chain.jobs.apply;
    expect(job.environment).toBe('${{ inputs.environment }}');
    expect(job.needs).toBe('plan');
    expect(job.env.DEPLOY_ROLE_ARN).toBe('${{ vars[inputs.deploy-role-variable] }}');
    const download = stepIndex(job, /actions\/download-artifact/);
    const baseline = stepIndex(job, /dir="cdktf\.out\/stacks\/\$BASELINE"/);
    const environment = stepIndex(job, /dir="cdktf\.out\/stacks\/\$STACK"\n.*init/);
    expect(download).toBeLessThan(baseline);
    expect(baseline).toBeLessThan(environment);
    for (const index of [baseline, environment]) expect(steps(job)[index].run).toContain('apply -input=false -no-color plan.tfplan');
    expect(steps(job)[baseline].if).toBe("inputs.baseline != ''");
    // No fresh plan anywhere in the apply job: what runs is what was reviewed.
    expect(runs(job)).not.toMatch(/terraform[^\n]* plan /);
    expect(runs(job)).not.toContain('-auto-approve');
  });

  test('seed and smoke reach the database through a port forward through the access host, stopped at the end whatever happened', () => {
    const job = chain.jobs.apply;
    const connection = stepIndex(job, /output -raw access_host_connection/);
    const plugin = stepIndex(
      job,
      /https:\/\/s3\.amazonaws\.com\/session-manager-downloads\/plugin\/latest\/ubuntu_64bit\/session-manager-plugin\.deb/,
    );
    const forward = stepIndex(job, /aws ssm start-session --target "\$host_id" --document-name AWS-StartPortForwardingSessionToRemoteHost/);
    // The mode comes from the stack's output; the Session Manager plugin is installed only where it is used.
    expect(steps(job)[connection].id).toBe('access-host');
    expect(steps(job)[connection].run).toContain('echo "connection=$connection" >> "$GITHUB_OUTPUT"');
    expect(steps(job)[plugin].if).toBe("steps.access-host.outputs.connection == 'session-manager'");
    expect(steps(job)[forward].env).toEqual({ CONNECTION: '${{ steps.access-host.outputs.connection }}' });
    expect(connection).toBeLessThan(plugin);
    const seed = stepIndex(job, /^npm run seed /);
    const smoke = stepIndex(job, /^npm run smoke /);
    const stop = stepIndex(job, /kill -TERM -- "-\$PORT_FORWARD_PID"/);
    expect(stepIndex(job, /apply -input=false -no-color plan\.tfplan/)).toBeLessThan(plugin);
    expect(plugin).toBeLessThan(forward);
    expect(forward).toBeLessThan(seed);
    expect(seed).toBeLessThan(smoke);
    expect(smoke).toBeLessThan(stop);
    expect(steps(job)[forward].run).toContain('output -raw access_host_instance_id');
    expect(steps(job)[forward].run).toMatch(/wait-for-port --port "\$LOCAL_PORT" --timeout \d+ --pid "\$pid"/);
    expect(steps(job)[stop].if).toMatch(/^always\(\)/);
    for (const index of [seed, smoke]) {
      const run = steps(job)[index].run!;
      expect(run).toContain('--env "$ENVIRONMENT" --tunnel-host 127.0.0.1 --port "$LOCAL_PORT" --ca-bundle "$CA_BUNDLE"');
      // TLS is verified for the real endpoint: the default --tls-servername, the rds_endpoint output.
      expect(run).not.toContain('--tls-servername');
    }
    expect(steps(job)[seed].run).toContain('--dms-user');
    // The reviewed contract's additive schema changes are applied; destructive ones stop the release (exit 2).
    expect(steps(job)[seed].run).toContain('--migrate');
  });
});

/**
 * The port-forward step's script, run by bash with stub `terraform`, `aws`, `ssh-keygen`, `ssh`, `setsid` and `npm`
 * on the PATH that record how they were called: what each connection mode runs, not only what the file says.
 */
describe('the release’s port forward, run against stub commands', () => {
  const job = workflow('release-environment.yml').jobs.apply;
  const script = stepOf(job, /output -raw access_host_instance_id/).run!;
  const OUTPUTS = {
    access_host_instance_id: 'i-0123456789abcdef0',
    rds_endpoint: 'db.abc.us-east-1.rds.amazonaws.com',
    rds_port: '3306',
    instance_connect_endpoint_id: 'eice-0123456789abcdef0',
  };

  function runForward(connection: string, outputs: Record<string, string> = OUTPUTS): { status: number; calls: string[]; env: string } {
    const dir = mkdtempSync(join(tmpdir(), 'port-forward-'));
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    const stub = (name: string, body = ''): void => {
      writeFileSync(join(bin, name), `#!/bin/bash\nprintf '%s\\n' "${name} $*" >> "${dir}/calls"\n${body}\n`, { mode: 0o755 });
    };
    const cases = Object.entries(outputs)
      .map(([key, value]) => `  *" ${key}") printf '%s' '${value}' ;;`)
      .join('\n');
    stub('terraform', `case "$*" in\n${cases}\n  *) exit 1 ;;\nesac`);
    stub('aws');
    stub('ssh');
    stub('npm');
    stub('ssh-keygen', 'file="${@: -1}"; touch "$file" "$file.pub"');
    // setsid runs its command (in the same session here), so that the stubs record it and $! is its PID.
    writeFileSync(join(bin, 'setsid'), '#!/bin/bash\nexec "$@"\n', { mode: 0o755 });
    writeFileSync(join(dir, 'calls'), '');
    writeFileSync(join(dir, 'env'), '');
    const result = spawnSync('bash', ['-c', script], {
      env: {
        PATH: `${bin}:${process.env.PATH}`,
        STACK: 'unicornhealth-dev',
        LOCAL_PORT: '13306',
        RUNNER_TEMP: dir,
        GITHUB_ENV: join(dir, 'env'),
        CONNECTION: connection,
      },
      encoding: 'utf8',
    });
    // The forward runs in the background: wait (up to 5 s) for it to have written its call.
    if (result.status === 0) {
      spawnSync('bash', ['-c', `for _ in $(seq 50); do grep -Eq '^(ssh|aws ssm) ' "${dir}/calls" && break; sleep 0.1; done`]);
    }
    const calls = readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n').filter(Boolean);
    const env = readFileSync(join(dir, 'env'), 'utf8');
    rmSync(dir, { recursive: true, force: true });
    return { status: result.status ?? -1, calls, env: env.replace(dir, '$RUNNER_TEMP') };
  }

  test('session-manager: a Session Manager port forward to the RDS endpoint, no SSH and no key', () => {
    const { status, calls, env } = runForward('session-manager');
    expect(status).toBe(0);
    const aws = calls.filter((c) => c.startsWith('aws '));
    expect(aws).toEqual([
      `aws ssm start-session --target ${OUTPUTS.access_host_instance_id} --document-name AWS-StartPortForwardingSessionToRemoteHost --parameters {"host":["${OUTPUTS.rds_endpoint}"],"portNumber":["3306"],"localPortNumber":["13306"]}`,
    ]);
    expect(calls.filter((c) => /^ssh(-keygen)? /.test(c))).toEqual([]);
    expect(calls).not.toContainEqual(expect.stringContaining('instance_connect_endpoint_id'));
    expect(env).toMatch(/^PORT_FORWARD_PID=\d+$/m);
    expect(calls).toContainEqual(expect.stringMatching(/^npm run -s github -- wait-for-port --port 13306 --timeout \d+ --pid \d+ --log /));
  });

  test('instance-connect-endpoint: a fresh key sent for ec2-user, then SSH through the endpoint with a local forward to MySQL', () => {
    const { status, calls, env } = runForward('instance-connect-endpoint');
    expect(status).toBe(0);
    const keygen = calls.findIndex((c) => c.startsWith('ssh-keygen '));
    const send = calls.findIndex((c) => c.startsWith('aws ec2-instance-connect send-ssh-public-key '));
    const ssh = calls.findIndex((c) => c.startsWith('ssh '));
    expect(calls[keygen]).toMatch(/^ssh-keygen -q -t ed25519 -N {2}-f \S+\/tunnel-key$/);
    expect(calls[send]).toMatch(
      new RegExp(
        `--instance-id ${OUTPUTS.access_host_instance_id} --instance-os-user ec2-user --ssh-public-key file://\\S+/tunnel-key\\.pub$`,
      ),
    );
    expect(keygen).toBeLessThan(send);
    expect(send).toBeLessThan(ssh);
    const command = calls[ssh];
    expect(command).toContain(`-N -L 13306:${OUTPUTS.rds_endpoint}:3306`);
    expect(command).toContain('-o ExitOnForwardFailure=yes');
    expect(command).toContain('-o StrictHostKeyChecking=accept-new');
    expect(command).toContain(
      `-o ProxyCommand=aws ec2-instance-connect open-tunnel --instance-id %h --instance-connect-endpoint-id ${OUTPUTS.instance_connect_endpoint_id} --max-tunnel-duration 3600`,
    );
    expect(command).toMatch(new RegExp(`ec2-user@${OUTPUTS.access_host_instance_id}$`));
    expect(calls.filter((c) => c.startsWith('aws ssm '))).toEqual([]);
    expect(env).toMatch(/^PORT_FORWARD_PID=\d+$/m);
    expect(calls).toContainEqual(expect.stringMatching(/^npm run -s github -- wait-for-port --port 13306 --timeout \d+ --pid \d+ --log /));
  });

  test('an unknown mode, or no access host, stops the release before any forward', () => {
    const unknown = runForward('bastion');
    expect(unknown.status).toBe(1);
    expect(unknown.calls.filter((c) => /^(aws|ssh|npm) /.test(c))).toEqual([]);
    const noHost = runForward('instance-connect-endpoint', { ...OUTPUTS, access_host_instance_id: '' });
    expect(noHost.status).toBe(1);
    expect(noHost.calls.filter((c) => /^(aws|ssh|npm) /.test(c))).toEqual([]);
  });
});

describe('drift detection (drift.yml)', () => {
  const drift = workflow('drift.yml');

  test('runs daily, and by hand', () => {
    expect(drift.on.schedule).toEqual([{ cron: expect.stringMatching(/^\d+ \d+ \* \* \*$/) }]);
    expect(drift.on.workflow_dispatch).toBeDefined();
  });

  test('plans every environment and baseline with -detailed-exitcode, with the same jobs as a pull request', () => {
    expect(drift.jobs.plan.strategy.matrix).toEqual(workflow('plan.yml').jobs.plan.strategy.matrix);
    expect(runs(drift.jobs.plan)).toMatch(/plan -input=false -no-color -lock=false -detailed-exitcode/);
  });

  test('keeps one issue from every stack, a missing result counting as an error', () => {
    const report = drift.jobs.report;
    expect(report.if).toBe('${{ !cancelled() }}');
    expect(report.permissions.issues).toBe('write');
    const expected = /--expect (\S+)/.exec(runs(report))![1].split(',');
    expect(expected.sort()).toEqual(TARGETS.flatMap(stacksOf).sort());
  });
});
