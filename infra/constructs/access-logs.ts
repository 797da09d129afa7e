import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';

/**
 * A bucket that receives other buckets' server access logs: S3-managed encryption, TLS only,
 * no public access, kept `retentionDays`, retained on teardown. It does not log itself.
 */
export function accessLogsBucket(scope: Construct, id: string, props: { retentionDays: number; logs: string }): Bucket {
  const bucket = new Bucket(scope, id, {
    encryption: BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
    lifecycleRules: [{ expiration: Duration.days(props.retentionDays) }],
    removalPolicy: RemovalPolicy.RETAIN,
  });
  Validations.of(bucket).acknowledge({
    id: 'AwsSolutions-S1',
    reason: `This bucket receives the ${props.logs} server access logs; logging it to itself would loop.`,
  });
  return bucket;
}
