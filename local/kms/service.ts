import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { p256, p384 } from '@noble/curves/nist.js';
import { type AwsJsonService, AwsServiceError, requiredString, unknownOperation } from '../edge/aws-json';

/** A KMS key of the template, by its local id and ARN, with the aliases that name it. */
export interface KmsKeySpec {
  readonly keyId: string;
  readonly arn: string;
  /** `SYMMETRIC_DEFAULT`, `ECC_NIST_P256`, … */
  readonly keySpec: string;
  /** `ENCRYPT_DECRYPT` or `SIGN_VERIFY`. */
  readonly keyUsage: string;
  readonly aliases: readonly string[];
}

export interface KmsOptions {
  readonly keys: readonly KmsKeySpec[];
  /** Where private keys are kept (0600 PEM files, created at first use). */
  readonly dir: string;
  readonly region: string;
  readonly accountId: string;
}

type Input = Readonly<Record<string, unknown>>;

/** How a key spec signs: its curve (Node's name and noble's), hash, and the digest length DIGEST messages must have. */
interface Algorithm {
  readonly curve: string;
  readonly hash: string;
  readonly algorithm: string;
  readonly digestBytes: number;
  readonly ecdsa: typeof p256;
}

const ALGORITHMS: Readonly<Record<string, Algorithm>> = {
  ECC_NIST_P256: { curve: 'prime256v1', hash: 'sha256', algorithm: 'ECDSA_SHA_256', digestBytes: 32, ecdsa: p256 },
  ECC_NIST_P384: { curve: 'secp384r1', hash: 'sha384', algorithm: 'ECDSA_SHA_384', digestBytes: 48, ecdsa: p384 },
};

/** `RAW`: KMS hashes the message. `DIGEST`: the message is the hash already, as a caller signing large data sends. */
type MessageType = 'RAW' | 'DIGEST';

/**
 * KMS for local mode: the asymmetric signing keys of the template (Sign, Verify, GetPublicKey,
 * DescribeKey), each backed by a local key file in the data folder, so the code that signs
 * audit checkpoints in AWS signs them locally through the same SDK calls. Symmetric keys exist
 * only as names (local services keep data unencrypted); asking them to sign is refused as KMS does.
 */
export class KmsService implements AwsJsonService {
  readonly name = 'KMS';
  readonly targetPrefix = 'TrentService';
  readonly signingName = 'kms';
  readonly errorNamespace = 'com.amazonaws.kms';
  private readonly loaded = new Map<string, KeyObject>();
  private readonly operations: Readonly<Record<string, (input: Input) => unknown>> = {
    Sign: (input) => this.sign(input),
    Verify: (input) => this.verify(input),
    GetPublicKey: (input) => this.getPublicKey(input),
    DescribeKey: (input) => this.describeKey(input),
    ListKeys: () => ({
      Keys: this.options.keys.map((k) => ({ KeyId: k.keyId, KeyArn: k.arn })),
      Truncated: false,
    }),
    ListAliases: () => ({
      Aliases: this.options.keys.flatMap((k) =>
        k.aliases.map((alias) => ({
          AliasName: alias,
          AliasArn: `arn:aws:kms:${this.options.region}:${this.options.accountId}:${alias}`,
          TargetKeyId: k.keyId,
        })),
      ),
      Truncated: false,
    }),
  };

  constructor(private readonly options: KmsOptions) {}

  handle(operation: string, input: Record<string, unknown>): Promise<unknown> {
    const run = Object.hasOwn(this.operations, operation) ? this.operations[operation] : undefined;
    if (run === undefined) return Promise.reject(unknownOperation(this, operation));
    return Promise.resolve().then(() => run(input));
  }

  private find(input: Input): KmsKeySpec {
    const id = requiredString(input, 'KeyId');
    const aliasName = id.startsWith('arn:') && id.includes(':alias/') ? `alias/${id.split(':alias/')[1]}` : id;
    const key = this.options.keys.find((k) => k.keyId === id || k.arn === id || k.aliases.includes(aliasName));
    if (!key) throw new AwsServiceError('NotFoundException', `Key '${id}' does not exist`);
    return key;
  }

  private signingKey(input: Input) {
    const key = this.find(input);
    const algorithm = ALGORITHMS[key.keySpec];
    if (key.keyUsage !== 'SIGN_VERIFY' || !algorithm) {
      throw new AwsServiceError('InvalidKeyUsageException', `${key.arn} key usage is ${key.keyUsage}, not SIGN_VERIFY`);
    }
    const requested = requiredString(input, 'SigningAlgorithm');
    if (requested !== algorithm.algorithm) {
      throw new AwsServiceError(
        'InvalidKeyUsageException',
        `Signing algorithm ${requested} is not valid for key spec ${key.keySpec}; use ${algorithm.algorithm}`,
      );
    }
    const messageType = messageTypeOf(input);
    return { key, algorithm, messageType, privateKey: this.privateKey(key, algorithm.curve) };
  }

  private sign(input: Input) {
    const { key, algorithm, messageType, privateKey } = this.signingKey(input);
    const signature =
      messageType === 'RAW'
        ? sign(algorithm.hash, message(input), privateKey)
        : signDigest(algorithm, digest(input, algorithm), privateKey);
    return { KeyId: key.arn, Signature: signature.toString('base64'), SigningAlgorithm: algorithm.algorithm };
  }

  private verify(input: Input) {
    const { key, algorithm, messageType, privateKey } = this.signingKey(input);
    const signature = Buffer.from(requiredString(input, 'Signature'), 'base64');
    const signed = messageType === 'RAW' ? message(input) : digest(input, algorithm);
    let valid = false;
    try {
      valid =
        messageType === 'RAW'
          ? verify(algorithm.hash, signed, createPublicKey(privateKey), signature)
          : verifyDigest(algorithm, signed, privateKey, signature);
    } catch {
      valid = false;
    }
    // KMS answers an invalid signature with an error, not SignatureValid: false.
    if (!valid) throw new AwsServiceError('KMSInvalidSignatureException', 'The signature is not valid');
    return { KeyId: key.arn, SignatureValid: true, SigningAlgorithm: algorithm.algorithm };
  }

  private getPublicKey(input: Input) {
    const key = this.find(input);
    const algorithm = ALGORITHMS[key.keySpec];
    if (!algorithm) throw new AwsServiceError('UnsupportedOperationException', `${key.arn} is a symmetric key`);
    const spki = createPublicKey(this.privateKey(key, algorithm.curve)).export({ type: 'spki', format: 'der' });
    return {
      KeyId: key.arn,
      PublicKey: spki.toString('base64'),
      KeySpec: key.keySpec,
      KeyUsage: key.keyUsage,
      SigningAlgorithms: [algorithm.algorithm],
    };
  }

  private describeKey(input: Input) {
    const key = this.find(input);
    return {
      KeyMetadata: {
        KeyId: key.keyId,
        Arn: key.arn,
        AWSAccountId: this.options.accountId,
        KeySpec: key.keySpec,
        KeyUsage: key.keyUsage,
        KeyState: 'Enabled',
        Enabled: true,
        Origin: 'AWS_KMS',
        KeyManager: 'CUSTOMER',
      },
    };
  }

  /** The key's private half: generated once into `<dir>/<keyId>.pem`, then read back. */
  private privateKey(key: KmsKeySpec, curve: string): KeyObject {
    const cached = this.loaded.get(key.keyId);
    if (cached) return cached;
    const file = join(this.options.dir, `${key.keyId}.pem`);
    if (!existsSync(file)) {
      mkdirSync(this.options.dir, { recursive: true, mode: 0o700 });
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: curve });
      writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
    }
    const loaded = createPrivateKey(readFileSync(file));
    this.loaded.set(key.keyId, loaded);
    return loaded;
  }
}

function message(input: Input): Buffer {
  const bytes = Buffer.from(requiredString(input, 'Message'), 'base64');
  if (bytes.length > 4096) throw new AwsServiceError('ValidationException', 'Message must be at most 4096 bytes');
  return bytes;
}

function messageTypeOf(input: Input): MessageType {
  const type = input.MessageType ?? 'RAW';
  if (type === 'RAW' || type === 'DIGEST') return type;
  throw new AwsServiceError('ValidationException', `MessageType ${String(type)} is not supported; use RAW or DIGEST`);
}

/** A DIGEST message: the hash the signing algorithm names, so exactly as long as its output. */
function digest(input: Input, algorithm: Algorithm): Buffer {
  const bytes = Buffer.from(requiredString(input, 'Message'), 'base64');
  if (bytes.length !== algorithm.digestBytes) {
    throw new AwsServiceError(
      'ValidationException',
      `Digest is invalid length for algorithm ${algorithm.algorithm}: expected ${algorithm.digestBytes} bytes, got ${bytes.length}`,
    );
  }
  return bytes;
}

/**
 * The DER ECDSA signature over a precomputed digest (Node's crypto only signs messages it hashes
 * itself), so it verifies with `crypto.verify(hash, originalMessage, publicKey, signature)`.
 */
function signDigest(algorithm: Algorithm, hash: Buffer, privateKey: KeyObject): Buffer {
  const secret = Buffer.from(String(privateKey.export({ format: 'jwk' }).d), 'base64url');
  return Buffer.from(algorithm.ecdsa.sign(hash, secret, { prehash: false, format: 'der' }));
}

/** Verifies a DER ECDSA signature over a precomputed digest; high-S signatures count, as OpenSSL counts them. */
function verifyDigest(algorithm: Algorithm, hash: Buffer, privateKey: KeyObject, signature: Buffer): boolean {
  const { x, y } = createPublicKey(privateKey).export({ format: 'jwk' });
  const point = Buffer.concat([
    Buffer.from([4]),
    Buffer.from(String(x), 'base64url'),
    Buffer.from(String(y), 'base64url'),
  ]);
  return algorithm.ecdsa.verify(signature, hash, point, { prehash: false, format: 'der', lowS: false });
}
