import { BatchGetBuildsCommand, type CodeBuildClient } from '@aws-sdk/client-codebuild';
import { type KMSClient, SignCommand, VerifyCommand } from '@aws-sdk/client-kms';
import type { BuildInfo, BuildSource, ProvenanceSigner } from './ports';

/** The provenance key in KMS: ECDSA P-256 over SHA-256 digests (so any statement size can be signed). */
export class KmsProvenanceSigner implements ProvenanceSigner {
  constructor(
    private readonly kms: KMSClient,
    readonly keyId: string,
  ) {}

  async sign(digest: Buffer): Promise<Buffer> {
    const out = await this.kms.send(
      new SignCommand({
        KeyId: this.keyId,
        Message: digest,
        MessageType: 'DIGEST',
        SigningAlgorithm: 'ECDSA_SHA_256',
      }),
    );
    if (!out.Signature) throw new Error(`KMS returned no signature from ${this.keyId}`);
    return Buffer.from(out.Signature);
  }

  async verify(digest: Buffer, signature: Buffer): Promise<boolean> {
    try {
      const out = await this.kms.send(
        new VerifyCommand({
          KeyId: this.keyId,
          Message: digest,
          MessageType: 'DIGEST',
          Signature: signature,
          SigningAlgorithm: 'ECDSA_SHA_256',
        }),
      );
      return out.SignatureValid === true;
    } catch (error) {
      if (error instanceof Error && error.name === 'KMSInvalidSignatureException') return false;
      throw error;
    }
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
    };
  }
}
