import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ArchiveRefusedError } from '../../shared/source/errors';
import { checkArchive, DEFAULT_ARCHIVE_LIMITS, entryContent } from '../../shared/source/repack';
import { isDirectory } from '../../shared/source/zip-read';
import { S3Error, type S3Store } from '../s3';
import { clientError } from './errors';

export interface S3SourceInputs {
  /** `bucket/key` (or the object's ARN), as CodeBuild takes an S3 source location. */
  readonly location: string;
  /** The object version; absent means the current one. */
  readonly version?: string;
  readonly srcDir: string;
  readonly store: S3Store;
}

/** `bucket/key`, from the location or the object's ARN. */
function objectOf(location: string): { bucket: string; key: string } {
  const path = location.replace(/^arn:aws[a-z-]*:s3:::/, '');
  const slash = path.indexOf('/');
  if (slash <= 0 || slash === path.length - 1)
    throw clientError(`S3 source location must be bucket/key of a ZIP archive; got ${location}`);
  return { bucket: path.slice(0, slash), key: path.slice(slash + 1) };
}

/**
 * DOWNLOAD_SOURCE for an S3 source: the ZIP at the location (at the version, when given) from the
 * local S3 store, unpacked into the build's workspace as CodeBuild does, checked as Gantry checks
 * snapshots (no absolute path, no `..`, no symlink leading out, within the size limits), with
 * each file's Unix mode (so scripts stay executable).
 * @throws PhaseFailure (CLIENT_ERROR) when the object cannot be read or the archive is refused
 */
export async function downloadS3Source(inputs: S3SourceInputs): Promise<void> {
  const { bucket, key } = objectOf(inputs.location);
  let zip: Buffer;
  try {
    zip = await inputs.store.readObject(bucket, key, inputs.version);
  } catch (error) {
    if (error instanceof S3Error)
      throw clientError(`error while downloading source s3://${bucket}/${key}: ${error.code}`, error);
    throw error;
  }
  let entries: ReturnType<typeof checkArchive>;
  try {
    entries = checkArchive(zip, false, DEFAULT_ARCHIVE_LIMITS);
  } catch (error) {
    if (error instanceof ArchiveRefusedError)
      throw clientError(`source s3://${bucket}/${key}: ${error.message}`, error);
    throw error;
  }
  await mkdir(inputs.srcDir, { recursive: true });
  const links: [string, string][] = [];
  for (const { entry, path, target, mode } of entries) {
    const file = join(inputs.srcDir, path);
    if (isDirectory(entry)) await mkdir(file, { recursive: true });
    else if (target !== undefined) links.push([target, file]);
    else {
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, entryContent(zip, entry, path), { flag: 'wx', mode: mode & 0o777 });
    }
  }
  // Links last: nothing is written through one (checkArchive refuses entries beneath a link).
  for (const [target, file] of links) {
    await mkdir(dirname(file), { recursive: true });
    await symlink(target, file);
  }
}
