import { environments } from './config/environments';
import { buildApp } from './stacks/app';

buildApp(environments).synth();
