import { accounts } from './config/accounts';
import { environments } from './config/environments';
import { buildApp, synthWarnings } from './stacks/app';

const app = buildApp(environments, undefined, accounts);
app.synth();
for (const warning of synthWarnings(app)) process.stderr.write(`warning: ${warning}\n`);
