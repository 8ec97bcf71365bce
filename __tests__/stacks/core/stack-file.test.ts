import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AnnotationMetadataEntryType, App, Fn, TerraformOutput } from 'cdktf';
import { ReadableStack } from '../../../stacks/core/readable-stack';
import { REPOSITORY_ROOT, StackFile } from '../../../stacks/core/stack-file';

describe('StackFile', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'stack-file-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  /** Synthesizes a stack that reads `source` as `bundle.pem`, into its own folder. */
  const synth = (name: string, source: string): { file: StackFile; stackDir: string; json: string } => {
    const app = new App({ outdir: join(scratch, name) });
    const stack = new ReadableStack(app, 'test');
    const file = new StackFile(stack, 'bundle', { source, fileName: 'bundle.pem', whenMissing: 'fetch it with curl' });
    new TerraformOutput(stack, 'pem', { value: Fn.file(file.path), sensitive: true });
    app.synth();
    const stackDir = join(scratch, name, 'stacks', 'test');
    return { file, stackDir, json: readFileSync(join(stackDir, 'cdk.tf.json'), 'utf8') };
  };
  const warningsOf = (file: StackFile): string[] =>
    file.node.metadata.filter((m) => m.type === String(AnnotationMetadataEntryType.WARN)).map((m) => String(m.data));

  test('a present source is copied beside cdk.tf.json, which reads it relative to its own folder and names no machine path', () => {
    const source = join(scratch, 'real.pem');
    writeFileSync(source, 'PEM');
    const { file, stackDir, json } = synth('present', source);
    expect(file.present).toBe(true);
    expect(warningsOf(file)).toEqual([]);
    expect(readFileSync(join(stackDir, 'bundle.pem'), 'utf8')).toBe('PEM');
    expect(JSON.parse(json).output.pem.value).toBe('${file(join("/", [path.module, "bundle.pem"]))}');
    expect(json).not.toContain(scratch);
  });

  test('a missing source synthesizes the same reference, ships no file, and warns with what to do', () => {
    const { file, stackDir, json } = synth('missing', 'certs/never-downloaded.pem');
    expect(file.present).toBe(false);
    expect(file.sourcePath).toBe(join(REPOSITORY_ROOT, 'certs', 'never-downloaded.pem'));
    expect(existsSync(join(stackDir, 'bundle.pem'))).toBe(false);
    expect(JSON.parse(json).output.pem.value).toBe('${file(join("/", [path.module, "bundle.pem"]))}');
    expect(warningsOf(file)).toEqual([
      'certs/never-downloaded.pem is missing, so bundle.pem is not in the synthesized stack and terraform plan of it fails until it is: fetch it with curl, then synthesize again.',
    ]);
  });
});
