import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TerraformStack } from 'cdktf';
import { accounts } from '../../../config/accounts';
import { environments } from '../../../config/environments';
import { AWS_PROVIDER } from '../../../scripts/terraform/offline-plan';
import { buildApp } from '../../../stacks/app';
import { PROVIDER_LOCK_FILE } from '../../../stacks/core/provider-lock';
import { REPOSITORY_ROOT } from '../../../stacks/core/stack-file';

interface LockedProvider {
  readonly source: string;
  readonly version: string;
  readonly constraints: string;
  readonly hashes: string[];
}

/** The provider blocks of a `.terraform.lock.hcl` (the subset of HCL Terraform writes there). */
function lockedProviders(text: string): LockedProvider[] {
  return [...text.matchAll(/^provider "([^"]+)" \{\n([\s\S]*?)^\}/gm)].map(([, source, body]) => ({
    source,
    version: /^\s*version\s*=\s*"([^"]+)"/m.exec(body)?.[1] ?? '',
    constraints: /^\s*constraints\s*=\s*"([^"]+)"/m.exec(body)?.[1] ?? '',
    hashes: [...body.matchAll(/"((?:h1|zh):[^"]+)"/g)].map((m) => m[1]),
  }));
}

const committed = readFileSync(join(REPOSITORY_ROOT, PROVIDER_LOCK_FILE), 'utf8');
/** What @cdktf/provider-aws was generated from (its package metadata), which the stacks' required_providers say. */
const generatedFrom = (
  JSON.parse(readFileSync(require.resolve('@cdktf/provider-aws/package.json'), 'utf8')) as {
    cdktf: { provider: { name: string; version: string } };
  }
).cdktf.provider;

describe('the committed provider lock file', () => {
  test('pins exactly hashicorp/aws at the version @cdktf/provider-aws was generated from, with a linux_amd64 hash', () => {
    const providers = lockedProviders(committed);
    expect(providers).toEqual([
      { source: generatedFrom.name, version: generatedFrom.version, constraints: generatedFrom.version, hashes: expect.any(Array) },
    ]);
    expect(generatedFrom).toEqual({ name: AWS_PROVIDER.source, version: AWS_PROVIDER.version });
    // h1: hashes the unpacked package of one platform; it is how Terraform checks a package from a mirror.
    expect(providers[0].hashes.filter((h) => h.startsWith('h1:')).length).toBeGreaterThanOrEqual(1);
  });

  test('the parser sees a second provider or another version (so the test above can fail)', () => {
    const other =
      committed.replace('"5.100.0"', '"5.99.0"') + '\nprovider "registry.terraform.io/hashicorp/random" {\n  version = "3.6.0"\n}\n';
    expect(lockedProviders(other).map((p) => `${p.source}@${p.version}`)).toEqual([
      `${AWS_PROVIDER.source}@5.99.0`,
      'registry.terraform.io/hashicorp/random@3.6.0',
    ]);
  });

  describe('synth copies it into every stack folder', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'provider-lock-'));
    afterAll(() => rmSync(outdir, { recursive: true, force: true }));

    test('each account baseline and environment stack has the committed lock file beside cdk.tf.json, and requires its version', () => {
      const app = buildApp(environments, outdir, accounts);
      app.synth();
      const stacks = app.node.children.filter((c) => TerraformStack.isStack(c)).map((c) => c.node.id);
      expect(readdirSync(join(outdir, 'stacks')).sort()).toEqual([...stacks].sort());
      expect(stacks.length).toBeGreaterThanOrEqual(4);
      for (const stack of stacks) {
        const dir = join(outdir, 'stacks', stack);
        expect(readFileSync(join(dir, PROVIDER_LOCK_FILE), 'utf8')).toBe(committed);
        const required = JSON.parse(readFileSync(join(dir, 'cdk.tf.json'), 'utf8')).terraform.required_providers.aws;
        expect(required).toEqual({ source: 'aws', version: generatedFrom.version });
      }
    });
  });
});
