import { Testing } from 'cdktf';
import { dev, prod } from '../../config/environments';
import { buildApp } from '../../stacks/app';
import { PlatformStack } from '../../stacks/platform-stack';

describe('buildApp', () => {
  test('one platform stack per environment, named after it', () => {
    const app = buildApp([dev, prod], Testing.app().outdir);
    const stacks = app.node.children.filter((c): c is PlatformStack => c instanceof PlatformStack);
    expect(stacks.map((s) => s.node.id)).toEqual(['unicornhealth-dev', 'unicornhealth-prod']);
    expect(stacks.map((s) => s.config)).toEqual([dev, prod]);
  });

  test('the output directory is an option', () => {
    expect(buildApp([], '/tmp/unicornhealth-app-test').outdir).toBe('/tmp/unicornhealth-app-test');
    expect(buildApp([]).outdir).toBe('cdktf.out');
  });
});
