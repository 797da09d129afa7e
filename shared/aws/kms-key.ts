import { type KMSClient, SignCommand, VerifyCommand } from '@aws-sdk/client-kms';

/**
 * An ECDSA P-256 key in KMS (ECDSA_SHA_256): it signs and verifies, and its private half never
 * leaves KMS. `RAW` messages are hashed by KMS; `DIGEST` ones are SHA-256 digests already, so a
 * statement of any size can be signed.
 */
export class KmsEcdsaKey {
  constructor(
    private readonly kms: Pick<KMSClient, 'send'>,
    readonly keyId: string,
    private readonly messageType: 'RAW' | 'DIGEST',
  ) {}

  async sign(message: Buffer): Promise<Buffer> {
    const out = await this.kms.send(
      new SignCommand({
        KeyId: this.keyId,
        Message: message,
        MessageType: this.messageType,
        SigningAlgorithm: 'ECDSA_SHA_256',
      }),
    );
    if (!out.Signature) throw new Error(`KMS returned no signature from ${this.keyId}`);
    return Buffer.from(out.Signature);
  }

  /** False for a signature that does not verify (KMS says so by throwing); other failures throw. */
  async verify(message: Buffer, signature: Buffer): Promise<boolean> {
    try {
      const out = await this.kms.send(
        new VerifyCommand({
          KeyId: this.keyId,
          Message: message,
          MessageType: this.messageType,
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
