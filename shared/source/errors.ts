/**
 * Why a commit's source could not be fetched or accepted. `code` is stable (tests and callers
 * dispatch on it); the message is one short line, safe to log and to show in a commit status,
 * and never holds a token.
 */
export class SourceError extends Error {
  override readonly name: string = 'SourceError';

  constructor(
    readonly code: SourceErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export type SourceErrorCode =
  /** The connection has no apiToken, or the provider refused it (401, 403, Azure's 203 sign-in page). */
  | 'unauthorized'
  /** The provider does not know the repository or the commit (404). */
  | 'not_found'
  /** No good answer after the retries: 5xx, 429, timeouts, network errors. */
  | 'unavailable'
  /** The archive is not one Gantry will build from (not a ZIP, traversal, symlink escape, too large). */
  | 'bad_archive'
  /** The archive is not the commit's tree and cannot be made it from the commit's blobs (a submodule, past the repair limits), or a blob's bytes are not its id. */
  | 'tree_mismatch'
  /** The provider names no tree to compare with (Bitbucket), and the commit's `.gitattributes` shape its archive. */
  | 'unverifiable'
  /** The connection is not configured for source fetches (no API URL), or the repository name does not fit the provider. */
  | 'misconfigured';

/** The archive was refused; the message says which entry and why. */
export class ArchiveRefusedError extends SourceError {
  override readonly name = 'ArchiveRefusedError';

  constructor(reason: string) {
    super('bad_archive', reason);
  }
}
