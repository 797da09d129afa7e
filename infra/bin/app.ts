import { englishMessages } from '../../shared/zod-messages';
import { buildGantryApp } from '../app';
import { loadGantryConfig } from '../config/load';

/** `cdk synth` entry: environment-agnostic stacks built from the config GANTRY_CONFIG names (default gantry.config.yaml). */
englishMessages();
buildGantryApp({ config: loadGantryConfig() }).app.synth();
