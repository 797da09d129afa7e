import { ConfigError, loadGantryConfig } from '../infra/config/load';
import type { GantryConfig } from '../infra/config/schema';
import { UsageError } from './errors';

/**
 * The Gantry config a command works from: the file it names (`--config`/`--file`), else
 * `GANTRY_CONFIG`, else `gantry.config.yaml`. An unreadable or invalid file is a usage error
 * listing every problem, not a stack.
 */
export function loadCliConfig(file?: string): GantryConfig {
  try {
    return loadGantryConfig(file);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}
