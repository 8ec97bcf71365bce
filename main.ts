import { accounts } from './config/accounts';
import { environments } from './config/environments';
import { buildApp } from './stacks/app';

buildApp(environments, undefined, accounts).synth();
