/** The system metadata S3 keeps with an object and returns as response headers. */
export interface ObjectMetadata {
  readonly contentType: string;
  readonly cacheControl?: string;
  readonly contentDisposition?: string;
  readonly contentEncoding?: string;
  readonly contentLanguage?: string;
  readonly expires?: string;
  /** `x-amz-meta-*` values, by lower-case name without the prefix. */
  readonly userMetadata: Readonly<Record<string, string>>;
}

/** One stored object, as HeadObject and ListObjectsV2 describe it. */
export interface StoredObject {
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  /** MD5 of the content, hex, without the quotes S3 puts around it. */
  readonly etag: string;
  readonly lastModified: Date;
  readonly metadata: ObjectMetadata;
  /** The version S3 answers as `x-amz-version-id`: set in a versioned bucket only (`null` for an object put before versioning). */
  readonly versionId?: string;
}

/** The sidecar file kept beside each object (in a parallel tree, so no key can collide with it). */
export interface Sidecar {
  readonly etag: string;
  readonly size: number;
  readonly lastModified: number;
  readonly metadata: ObjectMetadata;
  /** Set when the object was put in a versioned bucket. */
  readonly versionId?: string;
}

/** S3's content type for an object stored without one. */
export const DEFAULT_CONTENT_TYPE = 'binary/octet-stream';

/** Reads a sidecar's JSON, or undefined when it is absent, torn or not one of ours. */
export function parseSidecar(text: string): Sidecar | undefined {
  try {
    const value = JSON.parse(text) as Partial<Sidecar>;
    if (typeof value.etag !== 'string' || typeof value.size !== 'number' || typeof value.metadata !== 'object') {
      return undefined;
    }
    return value as Sidecar;
  } catch {
    return undefined;
  }
}
