import { Artifacts, type ArtifactsConfig, type IProject } from 'aws-cdk-lib/aws-codebuild';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';

export interface PrefixArtifactsProps {
  readonly bucket: IBucket;
  /** The prefix the project writes under; CodeBuild adds `/<build id>/artifacts/`. */
  readonly path: string;
}

/**
 * S3 artifacts, uploaded unzipped under `path/<build id>/artifacts/`, granted as narrowly as that:
 * `s3:PutObject` under `path/` and the two bucket reads CodeBuild makes before uploading.
 * CodeBuild's own `Artifacts.s3()` grants read, write, list and delete on the whole bucket, which
 * would let any build overwrite another pipeline's (or a release's) artifacts.
 */
export class PrefixArtifacts extends Artifacts {
  readonly type = 'S3';

  constructor(private readonly props: PrefixArtifactsProps) {
    super({});
  }

  override bind(scope: Construct, project: IProject): ArtifactsConfig {
    project.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [this.props.bucket.arnForObjects(`${this.props.path}/*`)],
      }),
    );
    project.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:GetBucketAcl', 's3:GetBucketLocation'],
        resources: [this.props.bucket.bucketArn],
      }),
    );
    return {
      artifactsProperty: {
        ...super.bind(scope, project).artifactsProperty,
        location: this.props.bucket.bucketName,
        path: this.props.path,
        namespaceType: 'BUILD_ID',
        name: 'artifacts',
        packaging: 'NONE',
        encryptionDisabled: false,
      },
    };
  }
}
