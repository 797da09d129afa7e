import { InvalidCommitStatusError } from '../errors';

/**
 * The path segments of a repository full name, checked against the provider's convention.
 * Empty, `.` and `..` segments are refused: URL parsing would resolve dot segments and post the
 * status somewhere else.
 */
export function repositorySegments(repository: string, convention: string, min: number, max: number): string[] {
  const segments = repository.split('/');
  const fits = segments.length >= min && segments.length <= max;
  if (!fits || segments.some((s) => s === '' || s === '.' || s === '..'))
    throw new InvalidCommitStatusError('repository', `must be ${convention}`);
  return segments;
}

/** Exactly two segments, e.g. `owner/name`. */
export function twoSegments(repository: string, convention: string): readonly [string, string] {
  const [first = '', second = ''] = repositorySegments(repository, convention, 2, 2);
  return [first, second];
}

/** One path segment, percent-encoded (`/` included, so a name can never add segments). */
export const pathSegment = encodeURIComponent;
