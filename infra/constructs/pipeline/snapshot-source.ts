import { type IProject, Source, type SourceConfig } from 'aws-cdk-lib/aws-codebuild';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';

export interface SnapshotSourceProps {
  readonly bucket: IBucket;
  /** The prefix the pipeline's source snapshots are stored under (`sources/<pipeline>`). */
  readonly path: string;
}

/**
 * An S3 source: every build runs from the snapshot FetchSource stored for its commit (the
 * StartBuild override names its key and version), granted as narrowly as that: read, and read a
 * version, under the pipeline's own snapshot prefix. CodeBuild's `Source.s3()` grants one key,
 * and `bucket.grantRead()` would also list the whole bucket.
 */
export class SnapshotSource extends Source {
  readonly type = 'S3';

  constructor(private readonly props: SnapshotSourceProps) {
    super({});
  }

  override bind(scope: Construct, project: IProject): SourceConfig {
    project.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: [this.props.bucket.arnForObjects(`${this.props.path}/*`)],
      }),
    );
    return {
      sourceProperty: {
        ...super.bind(scope, project).sourceProperty,
        // Every build overrides it with its snapshot's key and version: the folder is only a default.
        location: `${this.props.bucket.bucketName}/${this.props.path}/`,
      },
    };
  }
}
