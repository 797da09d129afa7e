import { ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { S3VersionedObjects } from '../../../shared/provenance/s3';

const s3 = mockClient(S3Client);
const at = (iso: string) => new Date(iso);

describe('S3VersionedObjects.versions', () => {
  const objects = () => new S3VersionedObjects(new S3Client({ region: 'us-east-1' }));
  beforeEach(() => s3.reset());

  it('lists every version and delete marker under the prefix, page by page', async () => {
    s3.on(ListObjectVersionsCommand, { Prefix: 'releases/p/ungated/b/artifacts/', KeyMarker: undefined })
      .resolves({
        IsTruncated: true,
        NextKeyMarker: 'releases/p/ungated/b/artifacts/a',
        NextVersionIdMarker: 'v1',
        Versions: [
          { Key: 'releases/p/ungated/b/artifacts/a', VersionId: 'v2', LastModified: at('2026-12-01T10:00:02Z') },
        ],
      })
      .on(ListObjectVersionsCommand, { KeyMarker: 'releases/p/ungated/b/artifacts/a', VersionIdMarker: 'v1' })
      .resolves({
        Versions: [
          { Key: 'releases/p/ungated/b/artifacts/a', VersionId: 'v1', LastModified: at('2026-12-01T10:00:01Z') },
        ],
        DeleteMarkers: [
          { Key: 'releases/p/ungated/b/artifacts/b', VersionId: 'd1', LastModified: at('2026-12-01T10:00:03Z') },
        ],
      });
    expect(await objects().versions('bucket', 'releases/p/ungated/b/artifacts/')).toEqual([
      {
        key: 'releases/p/ungated/b/artifacts/a',
        versionId: 'v2',
        lastModified: at('2026-12-01T10:00:02Z'),
        deleteMarker: false,
      },
      {
        key: 'releases/p/ungated/b/artifacts/a',
        versionId: 'v1',
        lastModified: at('2026-12-01T10:00:01Z'),
        deleteMarker: false,
      },
      {
        key: 'releases/p/ungated/b/artifacts/b',
        versionId: 'd1',
        lastModified: at('2026-12-01T10:00:03Z'),
        deleteMarker: true,
      },
    ]);
  });

  it.each([
    [
      'no version id (written before versioning)',
      { Key: 'k', VersionId: 'null', LastModified: at('2026-12-01T10:00:00Z') },
    ],
    ['no time', { Key: 'k', VersionId: 'v1' }],
  ])('refuses a version with %s rather than guess', async (_, version) => {
    s3.on(ListObjectVersionsCommand).resolves({ Versions: [version] });
    await expect(objects().versions('bucket', 'p/')).rejects.toThrow(/without a version id or time/);
  });
});
