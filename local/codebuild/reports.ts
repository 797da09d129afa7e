import { createReadStream } from 'node:fs';
import type { S3Store } from '../s3';
import { type ArtifactsTarget, contentTypeOf, guardS3 } from './artifacts';
import { type ReportSpec, reportType } from './buildspec';
import { selectFiles } from './glob';
import type { ReportRecord } from './types';

export interface ReportContext {
  readonly store: S3Store;
  readonly srcDir: string;
  readonly projectName: string;
  readonly projectGroups: readonly { readonly name: string; readonly arn: string }[];
  readonly region: string;
  readonly accountId: string;
  readonly buildUuid: string;
  readonly target?: ArtifactsTarget;
  readonly warn: (message: string) => void;
}

/**
 * The report group a buildspec's `reports` key names: one of the project's groups (by ARN or
 * name), or, as CodeBuild does for a plain name, the group `<project>-<name>`.
 */
export function reportGroupFor(
  key: string,
  context: Pick<ReportContext, 'projectName' | 'projectGroups' | 'region' | 'accountId'>,
): { name: string; arn: string } {
  const known = context.projectGroups.find(
    (g) => g.arn === key || g.name === key || g.name === `${context.projectName}-${key}`,
  );
  if (known !== undefined) return known;
  if (key.startsWith('arn:')) return { name: key.slice(key.lastIndexOf('/') + 1), arn: key };
  const name = `${context.projectName}-${key}`;
  return { name, arn: `arn:aws:codebuild:${context.region}:${context.accountId}:report-group/${name}` };
}

/**
 * Copies each report group's files to `<artifacts>/reports/<group>/` in the local S3 store, so
 * a pipeline step reads them with GetObject, and records the groups for BatchGetBuilds'
 * `reportArns`. A group whose patterns match nothing gets no report, as on CodeBuild.
 */
export async function uploadReports(
  reports: Readonly<Record<string, ReportSpec>>,
  context: ReportContext,
): Promise<ReportRecord[]> {
  const records: ReportRecord[] = [];
  for (const [key, spec] of Object.entries(reports)) {
    const group = reportGroupFor(key, context);
    const files = await selectFiles(context.srcDir, spec);
    if (files.length === 0) {
      context.warn(`Report group ${group.name}: no files match ${spec.files.join(', ')}; no report created`);
      continue;
    }
    const base = {
      reportGroupName: group.name,
      reportGroupArn: group.arn,
      reportArn: `arn:aws:codebuild:${context.region}:${context.accountId}:report/${group.name}:${context.buildUuid}`,
      type: reportType(spec.fileFormat),
      fileFormat: spec.fileFormat,
    };
    const target = context.target;
    if (target === undefined) {
      context.warn(`Report group ${group.name}: the project has no artifacts location; files not copied`);
      records.push(base);
      continue;
    }
    const prefix = `${target.reportsPrefix}/${group.name}`;
    const keys = await guardS3(async () => {
      const written: string[] = [];
      for (const file of files) {
        const objectKey = `${prefix}/${file.name}`;
        await context.store.putObject(target.bucket, objectKey, createReadStream(file.path), {
          metadata: { contentType: contentTypeOf(file.name) },
        });
        written.push(objectKey);
      }
      return written;
    });
    records.push({ ...base, location: { bucket: target.bucket, prefix: `${prefix}/`, keys } });
  }
  return records;
}
