import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/** What a running local control plane tells the `gantry` command about itself. */
export const RuntimeInfoSchema = z.object({
  pid: z.number().int(),
  startedAt: z.string(),
  region: z.string(),
  accountId: z.string(),
  webhookUrl: z.string(),
  awsEndpoint: z.string(),
  dataDir: z.string(),
  /** The config file it runs (absolute), so `gantry local push` and the demo read the same one. */
  configFile: z.string().optional(),
  /** Each service alias's stable URL. */
  services: z.array(z.object({ functionName: z.string(), alias: z.string(), url: z.string() })).optional(),
});
export type RuntimeInfo = z.infer<typeof RuntimeInfoSchema>;

const FILE = 'runtime.json';

export function writeRuntimeInfo(dataDir: string, info: RuntimeInfo): void {
  writeFileSync(join(dataDir, FILE), `${JSON.stringify(info, null, 2)}\n`);
}

export function removeRuntimeInfo(dataDir: string): void {
  rmSync(join(dataDir, FILE), { force: true });
}

/** The running local control plane's info, or undefined when none is running from this folder. */
export function readRuntimeInfo(dataDir: string): RuntimeInfo | undefined {
  const file = join(dataDir, FILE);
  if (!existsSync(file)) return undefined;
  const parsed = RuntimeInfoSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success || !isAlive(parsed.data.pid)) return undefined;
  return parsed.data;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
