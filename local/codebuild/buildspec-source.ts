import { readFile } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { S3Error, type S3Store } from '../s3';
import { type Buildspec, parseBuildspec } from './buildspec';
import { BuildspecError } from './errors';

/** The buildspec CodeBuild uses when neither the project nor StartBuild names one. */
export const DEFAULT_BUILDSPEC = 'buildspec.yml';

const S3_ARN = /^arn:aws[a-z-]*:s3:::([^/]+)\/(.+)$/;

/** Whether a buildspec setting is the YAML itself rather than where to find it. */
export function isInlineBuildspec(setting: string): boolean {
  const trimmed = setting.trim();
  return trimmed.includes('\n') || trimmed.startsWith('{') || /^version\s*:/.test(trimmed);
}

/**
 * Reads the buildspec a build runs, as CodeBuild resolves the setting: inline YAML, an S3 object
 * ARN (read from the local S3 store), or a path relative to CODEBUILD_SRC_DIR.
 * @throws BuildspecError (YAML_FILE_ERROR) when it cannot be read or is not a valid 0.2 buildspec.
 */
export async function loadBuildspec(setting: string, srcDir: string, store: S3Store): Promise<Buildspec> {
  return parseBuildspec(await buildspecText(setting, srcDir, store));
}

async function buildspecText(setting: string, srcDir: string, store: S3Store): Promise<string> {
  if (isInlineBuildspec(setting)) return setting;
  const s3 = S3_ARN.exec(setting.trim());
  if (s3 !== null) return fromS3(store, s3[1] ?? '', s3[2] ?? '');
  const file = resolve(srcDir, setting);
  if (!file.startsWith(srcDir + sep)) throw new BuildspecError(`buildspec path ${setting} is outside the source`);
  try {
    return await readFile(file, 'utf8');
  } catch {
    throw new BuildspecError(`stat ${file}: no such file or directory`);
  }
}

async function fromS3(store: S3Store, bucket: string, key: string): Promise<string> {
  try {
    return (await store.readObject(bucket, key)).toString('utf8');
  } catch (error) {
    if (error instanceof S3Error)
      throw new BuildspecError(`cannot read buildspec s3://${bucket}/${key}: ${error.code}`);
    throw error;
  }
}
