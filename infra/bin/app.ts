import { buildGantryApp } from '../app';
import { loadGantryConfig } from '../config/load';

/** `cdk synth` entry: environment-agnostic stacks built from gantry.config.yaml. */
buildGantryApp({ config: loadGantryConfig(process.env.GANTRY_CONFIG ?? undefined) }).app.synth();
