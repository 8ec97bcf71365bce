import { copyFileSync, existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { Construct } from 'constructs';
import { Annotations, Fn, ISynthesisSession, TerraformStack, Token, ref } from 'cdktf';
// The hook TerraformAsset itself uses to copy its file at synth (cdktf 0.21 does not re-export it from the root).
import { addCustomSynthesis } from 'cdktf/lib/synthesize/synthesizer';

/** The repository root, against which config paths are resolved (where cdktf.json is). */
export const REPOSITORY_ROOT = resolve(__dirname, '..', '..');

export interface StackFileProps {
  /** The file to ship, relative to the repository root (or absolute). */
  readonly source: string;
  /** Its name beside the stack's `cdk.tf.json`. */
  readonly fileName: string;
  /** What the warning says to do when the source is missing at synth, for example the command that downloads it. */
  readonly whenMissing: string;
}

/**
 * A file the stack needs beside its `cdk.tf.json`: one the deploy pipeline provides (downloaded before synth, never
 * committed) that the stack reads at plan time, or one committed, such as the provider lock file that
 * `terraform init` reads. The synth copies it beside the stack's `cdk.tf.json` under a fixed name; a stack reads it from there
 * (`file(join("/", [path.module, "<name>"]))`). The synthesized folder stays self-contained: `terraform plan` in it needs no
 * cdktf and no path of the machine that synthesized it. When the source is missing, the synth still succeeds but
 * warns (cdktf annotation) with how to fetch it, and any plan of the stack fails on `file()`, so nothing is ever
 * applied without it. (The offline plan supplies a throwaway stand-in in its own copy of the folder.)
 */
export class StackFile extends Construct {
  /** The file as Terraform reads it, `join("/", [path.module, "<name>"])`, to pass to `Fn.file` or `Fn.filesha256`. */
  readonly path: string;
  /** The source, resolved against the repository root. */
  readonly sourcePath: string;
  /** Whether the source was there at synth. */
  readonly present: boolean;

  constructor(scope: Construct, id: string, props: StackFileProps) {
    super(scope, id);
    this.sourcePath = isAbsolute(props.source) ? props.source : join(REPOSITORY_ROOT, props.source);
    this.present = existsSync(this.sourcePath);
    // A join rather than a "${path.module}/..." template: cdktf's functions do not accept escape sequences.
    this.path = Fn.join('/', [Token.asString(ref('path.module')), props.fileName]);
    if (!this.present) {
      Annotations.of(this).addWarning(
        `${props.source} is missing, so ${props.fileName} is not in the synthesized stack and terraform plan of it fails until it is: ${props.whenMissing}, then synthesize again.`,
      );
    }
    const stack = TerraformStack.of(this);
    addCustomSynthesis(this, {
      onSynthesize: (session: ISynthesisSession) => {
        if (!this.present) return;
        const stackFolder = dirname(join(session.manifest.outdir, session.manifest.forStack(stack).synthesizedStackPath));
        copyFileSync(this.sourcePath, join(stackFolder, props.fileName));
      },
    });
  }
}
