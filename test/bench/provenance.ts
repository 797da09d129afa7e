import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KMSClient } from '@aws-sdk/client-kms';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startEdge } from '../../local/edge/server';
import { KmsService } from '../../local/kms/service';
import { createS3Endpoint, S3Store } from '../../local/s3';
import { resolvePlan } from '../../shared/pipelines/plan';
import { KmsProvenanceSigner } from '../../shared/provenance/aws';
import { recordProvenance } from '../../shared/provenance/record';
import { S3VersionedObjects } from '../../shared/provenance/s3';
import { verifyReleaseArtifact } from '../../shared/provenance/verify';
import type { RunRecord } from '../../shared/runs/model';
import { planRequest, sourceEvent } from '../support/plans';
import { FakeBuildSource, runsOf, succeededBuild } from '../support/provenance-fakes';
import { MemoryAudit } from '../support/receiver-fakes';
import { fmt, median, table } from './stats';

const BUCKET = 'gantry-artifacts-000000000000-us-east-1';
const MB = 1024 * 1024;

/**
 * `npm run bench -- provenance`: what RecordProvenance adds to a run with 100 MB of artifacts
 * (one 90 MB package and ten 1 MB reports) through the SDK against local S3 and local KMS:
 * every object read back and hashed at its version, the statement signed, the envelope
 * stored; and what Deploy's verification of the 90 MB package costs.
 */
export async function benchProvenance(options: { rounds: number }): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-bench-provenance-'));
  const store = new S3Store({ buckets: [BUCKET], versionedBuckets: [BUCKET], dataDir: join(dir, 's3') });
  const s3Endpoint = createS3Endpoint(store, { region: 'us-east-1' });
  const s3Server = createServer((req, res) => void s3Endpoint.handle(req, res, new URL(req.url ?? '/', 'http://x')));
  await new Promise<void>((resolve) => s3Server.listen(0, '127.0.0.1', resolve));
  const keyArn = 'arn:aws:kms:us-east-1:000000000000:key/provenance';
  const kmsService = new KmsService({
    keys: [{ keyId: 'provenance', arn: keyArn, keySpec: 'ECC_NIST_P256', keyUsage: 'SIGN_VERIFY', aliases: [] }],
    dir: join(dir, 'kms'),
    region: 'us-east-1',
    accountId: '000000000000',
  });
  const edge = await startEdge({ port: 0, services: [kmsService] });
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  const s3 = new S3Client({
    endpoint: `http://127.0.0.1:${(s3Server.address() as AddressInfo).port}`,
    region: 'us-east-1',
    credentials,
    forcePathStyle: true,
  });
  const objects = new S3VersionedObjects(s3);
  const signer = new KmsProvenanceSigner(
    new KMSClient({ endpoint: edge.endpoint, region: 'us-east-1', credentials }),
    keyArn,
  );
  try {
    const record: number[] = [];
    const verify: number[] = [];
    for (let round = 0; round < options.rounds; round++) {
      const { run, runs, builds, buildId } = await seedBuild(s3, round);
      const deps = {
        runs,
        audit: new MemoryAudit(),
        objects,
        signer,
        builds,
        logger: console,
        clock: () => new Date(),
      };
      let start = performance.now();
      await recordProvenance(deps, run.plan, buildId, run.executionArn);
      record.push(performance.now() - start);
      const attested = (await runs.get(run.runId)) as RunRecord;
      start = performance.now();
      await verifyReleaseArtifact({ objects, signer }, attested, 'dist/function.zip');
      verify.push(performance.now() - start);
    }
    return [
      `Medians of ${options.rounds} rounds; local S3 and local KMS over HTTP through the AWS SDK.`,
      '',
      table(
        ['step', 'artifacts', 'median ms', 'target'],
        [
          [
            'RecordProvenance: hash every artifact at its version, sign, store, pin',
            '100 MB (11 objects)',
            fmt(median(record)),
            `< 1,000 ${median(record) < 1000 ? '✓' : '✗'}`,
          ],
          [
            'Deploy: verify envelope and signature, re-hash the package at its pinned version',
            '90 MB',
            fmt(median(verify)),
            '',
          ],
        ],
      ),
    ].join('\n');
  } finally {
    await edge.close();
    s3Server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One release build's 100 MB of artifacts in S3, and the run and CodeBuild record that name them. */
async function seedBuild(s3: S3Client, round: number) {
  const plan = resolvePlan(planRequest(sourceEvent({ branch: 'develop', ref: 'refs/heads/develop' })));
  const buildId = `gantry-widgets:bench-${round}`;
  const prefix = `releases/widgets/ungated/bench-${round}/artifacts`;
  const files: [string, Buffer][] = [
    ['dist/function.zip', randomBytes(90 * MB)],
    ...Array.from({ length: 10 }, (_, i): [string, Buffer] => [`reports/r${i}.xml`, randomBytes(MB)]),
  ];
  const uploading = new Date();
  for (const [name, body] of files) {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}/${name}`, Body: body }));
  }
  const { runs, saved } = runsOf(plan);
  const run = saved.get(plan.runId) as RunRecord;
  const builds = new FakeBuildSource();
  builds.builds.set(buildId, succeededBuild(buildId, plan, `${BUCKET}/${prefix}`, [uploading, new Date()]));
  return { run, runs, builds, buildId };
}
