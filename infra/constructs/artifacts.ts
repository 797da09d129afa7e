import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AccountPrincipal, Grant, type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import { BlockPublicAccess, Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { accessLogsBucket } from './access-logs';
import { artifactsBucketArn, artifactsBucketName, onlySigner, PROVENANCE_KEY_ALIAS } from './names';

/** A target account's deploy role, and the artifact prefixes (release builds of its pipelines) it may read. */
export interface TargetRead {
  readonly account: string;
  readonly roleArn: string;
  /** Key patterns (releasePackageKeys): a pipeline's trusted builds, any class and build id, one artifact path. */
  readonly keys: readonly string[];
}

/** How far a read of the artifacts bucket reaches. */
export interface ReadObjectsOptions {
  /** Also a given version of an object (s3:GetObjectVersion), as provenance pins it. @default false */
  readonly versions?: boolean;
}

export interface ArtifactsProps {
  /** Days build artifacts (reports included) are kept. @default 90 */
  readonly retentionDays?: number;
}

/**
 * Build artifacts and reports: an S3 bucket encrypted with a customer-managed KMS key, TLS only,
 * no public access, its access logged to a second bucket.
 */
export class Artifacts extends Construct {
  /**
   * Grants reading the artifacts bucket's objects whose keys match `keys` (e.g. `releases/*`),
   * and with `versions`, reading them at a pinned version. The bucket lives in the data stack and
   * is named, not referenced. Decrypting them is the key's own grant.
   */
  static grantReadObjects(grantee: IGrantable, keys: readonly string[], options: ReadObjectsOptions = {}): Grant {
    const actions = options.versions ? ['s3:GetObject', 's3:GetObjectVersion'] : ['s3:GetObject'];
    return Grant.addToPrincipal({
      grantee,
      actions,
      resourceArns: keys.map((key) => `${artifactsBucketArn()}/${key}`),
    });
  }

  /** Grants writing objects whose keys match `keys` (s3:PutObject only: never read, list or delete). */
  static grantPutObjects(grantee: IGrantable, keys: readonly string[]): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions: ['s3:PutObject'],
      resourceArns: keys.map((key) => `${artifactsBucketArn()}/${key}`),
    });
  }

  /**
   * Grants listing the bucket's keys with every version and delete marker of each
   * (s3:ListBucketVersions, which ListObjectVersions needs), and nothing else of the bucket.
   */
  static grantListVersions(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({ grantee, actions: ['s3:ListBucketVersions'], resourceArns: [artifactsBucketArn()] });
  }

  readonly bucket: Bucket;
  readonly key: Key;
  /** Signs build provenance (ECDSA P-256); only RecordProvenance may sign, Deploy may verify. */
  readonly provenanceKey: Key;

  constructor(scope: Construct, id: string, props: ArtifactsProps = {}) {
    super(scope, id);
    this.key = new Key(this, 'Key', {
      description: 'Gantry build artifacts and reports',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.provenanceKey = new Key(this, 'ProvenanceKey', {
      description: 'Signs Gantry build provenance (SLSA, DSSE); the private key never leaves KMS',
      keySpec: KeySpec.ECC_NIST_P256,
      keyUsage: KeyUsage.SIGN_VERIFY,
      alias: PROVENANCE_KEY_ALIAS,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    onlySigner(this.provenanceKey, 'record-provenance');
    const accessLogs = accessLogsBucket(this, 'AccessLogs', { retentionDays: 365, logs: 'artifacts bucket' });
    this.bucket = new Bucket(this, 'Bucket', {
      bucketName: artifactsBucketName(),
      encryption: BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      versioned: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'artifacts/',
      lifecycleRules: [
        { expiration: Duration.days(props.retentionDays ?? 90), noncurrentVersionExpiration: Duration.days(7) },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  /**
   * Lets a target account's deploy role read the release packages of its pipelines (Lambda reads
   * them with the caller's rights), and decrypt them through S3 only. The principal is the account,
   * narrowed to the role by `aws:PrincipalArn`: the role is created later, by the target's stack,
   * and a policy naming a role that does not exist yet is refused.
   */
  grantTargetRead({ account, roleArn, keys }: TargetRead): void {
    const principal = new AccountPrincipal(account);
    const onlyRole = { ArnEquals: { 'aws:PrincipalArn': roleArn } };
    this.bucket.addToResourcePolicy(
      new PolicyStatement({
        sid: `GantryTarget${account}`,
        principals: [principal],
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: keys.map((key) => this.bucket.arnForObjects(key)),
        conditions: onlyRole,
      }),
    );
    this.key.addToResourcePolicy(
      new PolicyStatement({
        sid: `GantryTarget${account}`,
        principals: [principal],
        actions: ['kms:Decrypt'],
        resources: ['*'],
        conditions: {
          ...onlyRole,
          StringEquals: {
            'kms:ViaService': `s3.${Stack.of(this).region}.amazonaws.com`,
            // By name: the bucket already refers to the key.
            'kms:EncryptionContext:aws:s3:arn': artifactsBucketArn(),
          },
        },
      }),
    );
  }
}
