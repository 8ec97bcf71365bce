import { Node } from 'constructs';
import { TerraformElement, TerraformStack } from 'cdktf';

/** The id cdktf leaves out of every name: a construct that wraps one resource names it `Default` (see `ServiceRole`). */
const HIDDEN = 'Default';
/** The id cdktf leaves out of a name of several ids (it kept it in the hash only). */
const HIDDEN_FROM_NAME = 'Resource';

/**
 * The readable part of the name cdktf gives a construct path, so that addresses are the old ones without the hash:
 * the ids joined with `_`, characters Terraform does not allow dropped, and an id that the one kept before it ends
 * with left out (`lake-key/key` is `lake-key`).
 */
export function readableName(path: readonly string[]): string {
  const shown = path.filter((id) => id !== HIDDEN);
  const withoutRepeats = shown.reduce<string[]>(
    (kept, id) => (kept.length > 0 && kept[kept.length - 1].endsWith(id) ? kept : [...kept, id]),
    [],
  );
  const name = (shown.length === 1 ? shown : withoutRepeats.filter((id) => id !== HIDDEN_FROM_NAME))
    .map((id) => id.replace(/[^A-Za-z0-9_-]/g, ''))
    .join('_');
  if (name === '') throw new Error(`the construct path ${path.join('/')} gives no Terraform name`);
  return name;
}

/**
 * A stack whose Terraform addresses are the construct paths, without the hash cdktf appends by default
 * (`aws_s3_bucket.storage_access-logs_bucket`, not `..._bucket_1F0A0A1E`): readable in plans and state, and
 * stable for as long as the construct ids are. A hash made two paths that read alike distinct; here such a
 * collision fails the synth with both paths, and one construct id must change.
 */
export class ReadableStack extends TerraformStack {
  /** Which construct path each name was given to; allocated lazily, during synthesis. */
  private namesGiven?: Map<string, string>;

  protected override allocateLogicalId(element: TerraformElement | Node): string {
    const node = TerraformElement.isTerraformElement(element) ? element.node : element;
    const path = node.scopes.slice(node.scopes.indexOf(this) + 1).map((scope) => scope.node.id);
    const name = readableName(path);
    this.namesGiven ??= new Map();
    const owner = this.namesGiven.get(name);
    if (owner !== undefined && owner !== node.path) {
      throw new Error(`${owner} and ${node.path} would both be named "${name}" in Terraform: give one of them another construct id`);
    }
    this.namesGiven.set(name, node.path);
    return name;
  }
}
