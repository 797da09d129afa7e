import { BatchGetBuildsCommand, type CodeBuildClient } from '@aws-sdk/client-codebuild';
import type { KMSClient } from '@aws-sdk/client-kms';
import { KmsEcdsaKey } from '../aws/kms-key';
import type { BuildInfo, BuildSource, ProvenanceSigner } from './ports';

/** The provenance key in KMS: ECDSA P-256 over SHA-256 digests (so any statement size can be signed). */
export class KmsProvenanceSigner extends KmsEcdsaKey implements ProvenanceSigner {
  constructor(kms: Pick<KMSClient, 'send'>, keyId: string) {
    super(kms, keyId, 'DIGEST');
  }
}

/** Builds as CodeBuild describes them. */
export class CodeBuildBuildSource implements BuildSource {
  constructor(private readonly codebuild: CodeBuildClient) {}

  async getBuild(buildId: string): Promise<BuildInfo> {
    const out = await this.codebuild.send(new BatchGetBuildsCommand({ ids: [buildId] }));
    const build = out.builds?.[0];
    if (build?.id === undefined || build.arn === undefined || build.projectName === undefined) {
      throw new Error(`CodeBuild knows no build ${buildId}`);
    }
    return {
      id: build.id,
      arn: build.arn,
      projectName: build.projectName,
      status: build.buildStatus ?? 'UNKNOWN',
      resolvedSourceVersion: build.resolvedSourceVersion ?? null,
      artifactsLocation: build.artifacts?.location ?? null,
      buildspec: build.source?.buildspec ?? null,
      source: {
        type: build.source?.type ?? 'NO_SOURCE',
        location: build.source?.location ?? null,
        version: build.sourceVersion ?? null,
      },
      startTime: build.startTime?.toISOString() ?? null,
      endTime: build.endTime?.toISOString() ?? null,
      phases: (build.phases ?? []).map((p) => ({
        type: p.phaseType ?? 'UNKNOWN',
        status: p.phaseStatus ?? null,
        startTime: p.startTime?.toISOString() ?? null,
        endTime: p.endTime?.toISOString() ?? null,
      })),
    };
  }
}
