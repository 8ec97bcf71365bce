import { App } from 'cdktf';
import { EnvironmentConfig } from '../config/types';
import { PlatformStack } from './platform-stack';

/** The cdktf app with one stack per environment. */
export function buildApp(environments: readonly EnvironmentConfig[], outdir?: string): App {
  const app = new App(outdir ? { outdir } : undefined);
  for (const config of environments) new PlatformStack(app, config);
  return app;
}
