import { UsageError } from './errors';

/** A TCP port from an option, 0 allowed (any free port). */
export function collectPort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new UsageError(`not a port: ${value}`);
  return port;
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
