import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { S3Error, type S3Store } from '../s3';
import type { Buildspec } from './buildspec';
import { clientError } from './errors';
import { selectFiles } from './glob';
import type { ArtifactsSpec } from './types';
import { zip } from './zip';

/** Where one build's artifacts go in the local S3 store. */
export interface ArtifactsTarget {
  readonly bucket: string;
  readonly packaging: 'NONE' | 'ZIP';
  /** The folder (NONE) or the archive's key (ZIP). */
  readonly key: string;
  /** `arn:aws:s3:::<bucket>/<key>`, as BatchGetBuilds reports `artifacts.location`. */
  readonly location: string;
  /** Where report groups' files are copied: `<key>/reports` (NONE), or beside the archive (ZIP). */
  readonly reportsPrefix: string;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.json': 'application/json',
  '.xml': 'application/xml',
  '.sarif': 'application/sarif+json',
  '.html': 'text/html',
  '.txt': 'text/plain',
  '.js': 'text/javascript',
  '.zip': 'application/zip',
};

export function contentTypeOf(name: string): string {
  return CONTENT_TYPES[extname(name).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * Resolves the artifacts location as CodeBuild composes it: path, then the build's UUID when
 * the namespace type is BUILD_ID, then the name (the buildspec's, when the project lets it
 * override; else the project's; else the project name).
 */
export function artifactsTarget(
  spec: ArtifactsSpec,
  context: { readonly projectName: string; readonly buildUuid: string; readonly buildspecName?: string },
): ArtifactsTarget {
  const name =
    (spec.overrideArtifactName || spec.name === undefined ? context.buildspecName : undefined) ??
    spec.name ??
    context.projectName;
  const parts = [spec.path, spec.namespaceType === 'BUILD_ID' ? context.buildUuid : undefined, name];
  const key = parts
    .flatMap((p) => (p === undefined ? [] : p.split('/')))
    .filter((p) => p !== '')
    .join('/');
  const parent = key.includes('/') ? key.slice(0, key.lastIndexOf('/')) : '';
  const reportsPrefix = spec.packaging === 'ZIP' ? (parent === '' ? 'reports' : `${parent}/reports`) : `${key}/reports`;
  return {
    bucket: spec.bucket,
    packaging: spec.packaging,
    key,
    location: `arn:aws:s3:::${spec.bucket}/${key}`,
    reportsPrefix,
  };
}

/**
 * UPLOAD_ARTIFACTS: puts the files the buildspec's `artifacts` select into the local S3 store,
 * one object per file (NONE) or one archive (ZIP). Returns the keys written.
 * @throws PhaseFailure (CLIENT_ERROR) when nothing matches, as CodeBuild fails the phase.
 */
export async function uploadArtifacts(
  store: S3Store,
  srcDir: string,
  artifacts: NonNullable<Buildspec['artifacts']>,
  target: ArtifactsTarget,
): Promise<string[]> {
  const files = await selectFiles(srcDir, artifacts);
  if (files.length === 0) throw clientError('no matching artifact paths found');
  return guardS3(async () => {
    if (target.packaging === 'ZIP') {
      const entries = await Promise.all(files.map(async (f) => ({ name: f.name, data: await readFile(f.path) })));
      await store.putObject(target.bucket, target.key, zip(entries), { metadata: { contentType: 'application/zip' } });
      return [target.key];
    }
    const keys: string[] = [];
    for (const file of files) {
      const key = `${target.key}/${file.name}`;
      await store.putObject(target.bucket, key, createReadStream(file.path), {
        metadata: { contentType: contentTypeOf(file.name) },
      });
      keys.push(key);
    }
    return keys;
  });
}

/** Runs an S3 write, turning what the store refuses (no such bucket, …) into the phase's CLIENT_ERROR. */
export async function guardS3<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (error instanceof S3Error) throw clientError(`S3: ${error.code}: ${error.message}`, error);
    throw error;
  }
}
