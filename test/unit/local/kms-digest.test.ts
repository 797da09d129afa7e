import { createHash, createPublicKey, verify } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GetPublicKeyCommand,
  KMSClient,
  KMSInvalidSignatureException,
  type MessageType,
  SignCommand,
  type SigningAlgorithmSpec,
  VerifyCommand,
} from '@aws-sdk/client-kms';
import { type RunningEdge, startEdge } from '../../../local/edge/server';
import { type KmsKeySpec, KmsService } from '../../../local/kms/service';
import { localClientConfig } from '../../support/aws';

const ACCOUNT = '000000000000';
const arnOf = (id: string) => `arn:aws:kms:eu-west-1:${ACCOUNT}:key/${id}`;
const KEYS: KmsKeySpec[] = [
  { keyId: 'p256', arn: arnOf('p256'), keySpec: 'ECC_NIST_P256', keyUsage: 'SIGN_VERIFY', aliases: ['alias/p256'] },
  { keyId: 'p384', arn: arnOf('p384'), keySpec: 'ECC_NIST_P384', keyUsage: 'SIGN_VERIFY', aliases: [] },
];

const CASES: [string, SigningAlgorithmSpec, 'sha256' | 'sha384', number][] = [
  ['p256', 'ECDSA_SHA_256', 'sha256', 32],
  ['p384', 'ECDSA_SHA_384', 'sha384', 48],
];

describe('KMS Sign and Verify with MessageType DIGEST in local mode', () => {
  let dir: string;
  let edge: RunningEdge;
  let kms: KMSClient;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gantry-kms-'));
    const service = new KmsService({ keys: KEYS, dir, region: 'eu-west-1', accountId: ACCOUNT });
    edge = await startEdge({ port: 0, services: [service] });
    kms = new KMSClient(localClientConfig(edge.endpoint));
  });
  afterAll(async () => {
    kms?.destroy();
    await edge?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const publicKey = async (KeyId: string) => {
    const { PublicKey } = await kms.send(new GetPublicKeyCommand({ KeyId }));
    return createPublicKey({ key: Buffer.from(PublicKey ?? []), format: 'der', type: 'spki' });
  };
  const signOf = async (KeyId: string, SigningAlgorithm: SigningAlgorithmSpec, Message: Buffer, type: MessageType) => {
    const { Signature } = await kms.send(new SignCommand({ KeyId, SigningAlgorithm, Message, MessageType: type }));
    return Buffer.from(Signature ?? []);
  };

  it.each(CASES)(
    'signs a %s digest so that node:crypto verifies it over the original message',
    async (KeyId, algorithm, hash) => {
      const message = Buffer.from('audit checkpoint 42: root=abc');
      const digest = createHash(hash).update(message).digest();
      const signature = await signOf(KeyId, algorithm, digest, 'DIGEST');
      expect(verify(hash, message, await publicKey(KeyId), signature)).toBe(true);
      expect(verify(hash, Buffer.from('another message'), await publicKey(KeyId), signature)).toBe(false);
    },
  );

  it.each(CASES)(
    'refuses a %s digest of the wrong length, naming the length it expects',
    async (KeyId, algorithm, hash, bytes) => {
      const short = createHash(hash)
        .update('x')
        .digest()
        .subarray(0, bytes - 1);
      const sign = signOf(KeyId, algorithm, short, 'DIGEST');
      await expect(sign).rejects.toMatchObject({ name: 'ValidationException' });
      await expect(sign).rejects.toThrow(`expected ${bytes} bytes`);
      const tooLong = kms.send(
        new VerifyCommand({
          KeyId,
          SigningAlgorithm: algorithm,
          Message: Buffer.alloc(bytes + 16),
          MessageType: 'DIGEST',
          Signature: Buffer.from('30', 'hex'),
        }),
      );
      await expect(tooLong).rejects.toMatchObject({ name: 'ValidationException' });
    },
  );

  it.each(CASES)(
    'verifies a %s DIGEST signature, and refuses it for a tampered digest',
    async (KeyId, algorithm, hash) => {
      const digest = createHash(hash).update('build 7 provenance').digest();
      const Signature = await signOf(KeyId, algorithm, digest, 'DIGEST');
      const verified = await kms.send(
        new VerifyCommand({ KeyId, SigningAlgorithm: algorithm, Message: digest, MessageType: 'DIGEST', Signature }),
      );
      expect(verified).toMatchObject({ SignatureValid: true, KeyId: arnOf(KeyId), SigningAlgorithm: algorithm });
      const tampered = Buffer.from(digest);
      tampered[0] = (tampered[0] ?? 0) ^ 0xff;
      const refused = kms.send(
        new VerifyCommand({ KeyId, SigningAlgorithm: algorithm, Message: tampered, MessageType: 'DIGEST', Signature }),
      );
      await expect(refused).rejects.toBeInstanceOf(KMSInvalidSignatureException);
    },
  );

  it('verifies a RAW signature as a DIGEST of the same message, and the other way round', async () => {
    const message = Buffer.from('same bytes, either way');
    const digest = createHash('sha256').update(message).digest();
    const raw = await signOf('alias/p256', 'ECDSA_SHA_256', message, 'RAW');
    const fromDigest = await signOf('alias/p256', 'ECDSA_SHA_256', digest, 'DIGEST');
    const check = (Message: Buffer, type: MessageType, Signature: Buffer) =>
      kms.send(
        new VerifyCommand({ KeyId: 'p256', SigningAlgorithm: 'ECDSA_SHA_256', Message, MessageType: type, Signature }),
      );
    await expect(check(digest, 'DIGEST', raw)).resolves.toMatchObject({ SignatureValid: true });
    await expect(check(message, 'RAW', fromDigest)).resolves.toMatchObject({ SignatureValid: true });
  });

  it('keeps RAW signing as it was: the message is hashed by KMS', async () => {
    const message = Buffer.alloc(100, 7);
    const signature = await signOf('p384', 'ECDSA_SHA_384', message, 'RAW');
    expect(verify('sha384', message, await publicKey('p384'), signature)).toBe(true);
    const unset = await kms.send(
      new SignCommand({ KeyId: 'p384', SigningAlgorithm: 'ECDSA_SHA_384', Message: message }),
    );
    expect(verify('sha384', message, await publicKey('p384'), Buffer.from(unset.Signature ?? []))).toBe(true);
  });
});
