import type { Command } from 'commander';
import { UsageError } from './errors';

/** A TCP port from an option, 0 allowed (any free port). */
export function collectPort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new UsageError(`not a port: ${value}`);
  return port;
}

/**
 * A positive whole number from an option (`--limit`, `--lines`), at most `max`: `abc` or `1e999`
 * would otherwise read as NaN or Infinity and quietly mean "no limit".
 */
export function countOption(option: string, max = 1_000_000): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1 || n > max)
      throw new UsageError(`${option} must be a whole number from 1 to ${max}, not ${value}`);
    return n;
  };
}

/** A port from the environment, or the default. */
export function portFromEnv(name: string, fallback: number): number {
  const value = process.env[name];
  return value === undefined || value === '' ? fallback : collectPort(value);
}

/** The data folder: option, then GANTRY_DATA_DIR, then `.gantry`. */
export function dataDirOption(value: string | undefined): string {
  return value ?? process.env.GANTRY_DATA_DIR ?? '.gantry';
}

/** `--time-scale`: a positive number (1 = real time). */
export function timeScaleOption(value: string): number {
  const scale = Number(value);
  if (!(scale > 0) || !Number.isFinite(scale))
    throw new UsageError(`--time-scale must be a positive number, not ${value}`);
  return scale;
}

/** What every command that reads a control plane takes: local mode by default, AWS with --region or --profile. */
export interface TargetFlags {
  readonly region?: string;
  readonly profile?: string;
  readonly dataDir?: string;
}

/** Adds --region, --profile and --data-dir to a command group. */
export function targetOptions(command: Command): Command {
  return command
    .option('--region <region>', 'talk to AWS in this region (standard credential chain)')
    .option('--profile <profile>', 'talk to AWS with this named profile (its region unless --region is given)')
    .option('--data-dir <dir>', 'the local control plane data folder (env GANTRY_DATA_DIR)');
}
