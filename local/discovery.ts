import { chmodSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod/mini';
import { isOwnLiveProcess, readOwnPrivateFile, requireLoopbackUrls } from './runtime-trust';

/** What a running local control plane tells the `gantry` command about itself. */
export const RuntimeInfoSchema = z.object({
  pid: z.number().check(z.int()),
  startedAt: z.string(),
  region: z.string(),
  accountId: z.string(),
  webhookUrl: z.string(),
  awsEndpoint: z.string(),
  dataDir: z.string(),
  /** The config file it runs (absolute), so `gantry local push` and the demo read the same one. */
  configFile: z.optional(z.string()),
  /** The operator API's URL as its template names it: local caller proofs are signed for it. */
  operatorApiUrl: z.optional(z.string()),
  /** Each service alias's stable URL. */
  services: z.optional(z.array(z.object({ functionName: z.string(), alias: z.string(), url: z.string() }))),
  /** The session's bearer token: the operator routes and unsigned edge calls need it. */
  token: z.optional(z.string()),
  /** The session's operator credentials: SigV4 with these is the operator (the aws CLI profile holds them too). */
  operator: z.optional(z.object({ accessKeyId: z.string(), secretAccessKey: z.string() })),
  /** Each local function's and build's role credentials, by role name. */
  roles: z.optional(z.record(z.string(), z.object({ accessKeyId: z.string(), secretAccessKey: z.string() }))),
});
export type RuntimeInfo = z.infer<typeof RuntimeInfoSchema>;

const FILE = 'runtime.json';

/** The aws CLI profile that signs as the session's operator (`aws --profile gantry-local`). */
export const AWS_PROFILE = 'gantry-local';

/**
 * The data folder, created (or narrowed) to 0700: it holds the ledger, logs, artifacts, secrets
 * and the session's credentials, none of which another user of the machine may read.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/** Writes runtime.json 0600 (credentials and the token are in it), replacing any earlier one whole. */
export function writeRuntimeInfo(dataDir: string, info: RuntimeInfo): void {
  writePrivate(join(dataDir, FILE), `${JSON.stringify(info, null, 2)}\n`);
  if (info.operator !== undefined) writeAwsProfile(dataDir, info.awsEndpoint, info.region, info.operator);
}

/**
 * `.gantry/aws/config` and `credentials`, 0600: the operator's profile for the aws CLI, used as
 * `AWS_CONFIG_FILE=.gantry/aws/config AWS_SHARED_CREDENTIALS_FILE=.gantry/aws/credentials aws --profile gantry-local`.
 */
function writeAwsProfile(
  dataDir: string,
  endpoint: string,
  region: string,
  operator: { accessKeyId: string; secretAccessKey: string },
): void {
  const dir = join(dataDir, 'aws');
  ensurePrivateDir(dir);
  writePrivate(
    join(dir, 'config'),
    `[profile ${AWS_PROFILE}]\nregion = ${region}\noutput = json\nendpoint_url = ${endpoint}\n`,
  );
  writePrivate(
    join(dir, 'credentials'),
    `[${AWS_PROFILE}]\naws_access_key_id = ${operator.accessKeyId}\naws_secret_access_key = ${operator.secretAccessKey}\n`,
  );
}

function writePrivate(file: string, text: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, text, { mode: 0o600 });
  chmodSync(temp, 0o600);
  renameSync(temp, file);
}

export function removeRuntimeInfo(dataDir: string): void {
  rmSync(join(dataDir, FILE), { force: true });
  rmSync(join(dataDir, 'aws'), { recursive: true, force: true });
}

/**
 * The running local control plane's info, or undefined when none is running from this folder
 * (no runtime.json, or one whose process has ended).
 * @throws UntrustedRuntimeError when a runtime.json is there but is not one this user's local
 * control plane wrote: not a private regular file of this user, a URL the CLI would call that is
 * not loopback, or a pid that is not this user's process.
 */
export function readRuntimeInfo(dataDir: string): RuntimeInfo | undefined {
  const file = join(dataDir, FILE);
  if (!existsSync(file)) return undefined;
  const parsed = RuntimeInfoSchema.safeParse(safeJson(readOwnPrivateFile(file)));
  if (!parsed.success) return undefined;
  requireLoopbackUrls(file, destinations(parsed.data));
  return isOwnLiveProcess(file, parsed.data.pid) ? parsed.data : undefined;
}

/**
 * Every URL of the file the CLI sends requests to. `operatorApiUrl` is left out: it is the
 * audience a caller proof names (the template's execute-api URL), never called.
 */
function destinations(info: RuntimeInfo): [string, string][] {
  return [
    ['awsEndpoint', info.awsEndpoint],
    ['webhookUrl', info.webhookUrl],
    ...(info.services ?? []).map((s): [string, string] => [`services url of ${s.functionName}`, s.url]),
  ];
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
