import { App } from 'cdktf';
import { environments } from './config/environments';
import { PlatformStack } from './stacks/platform-stack';

const app = new App();
for (const config of environments) {
  new PlatformStack(app, config);
}
app.synth();
