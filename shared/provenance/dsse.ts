import { createHash } from 'node:crypto';
import { DSSE_PAYLOAD_TYPE, type DsseEnvelope, DsseEnvelopeSchema } from '../../events';

/**
 * DSSE's pre-authentication encoding: what is signed is
 * `DSSEv1 <len(type)> <type> <len(body)> <body>`, so a signature can't be replayed over the
 * same bytes read as another payload type.
 */
export function pae(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `, 'utf8'),
    type,
    Buffer.from(` ${payload.length} `, 'utf8'),
    payload,
  ]);
}

/** SHA-256 of the PAE: what KMS signs (MessageType DIGEST), so statements of any size can be signed. */
export function paeDigest(payloadType: string, payload: Buffer): Buffer {
  return createHash('sha256').update(pae(payloadType, payload)).digest();
}

/** A DSSE envelope around an in-toto statement, with one signature. */
export function envelopeOf(payload: Buffer, signature: Buffer, keyId: string): DsseEnvelope {
  return {
    payloadType: DSSE_PAYLOAD_TYPE,
    payload: payload.toString('base64'),
    signatures: [{ keyid: keyId, sig: signature.toString('base64') }],
  };
}

/** An envelope read from bytes: its payload and the digest its signatures must cover. */
export function openEnvelope(bytes: Buffer): {
  envelope: DsseEnvelope;
  payload: Buffer;
  digest: Buffer;
  signatures: Buffer[];
} {
  const envelope = DsseEnvelopeSchema.parse(JSON.parse(bytes.toString('utf8')));
  const payload = Buffer.from(envelope.payload, 'base64');
  return {
    envelope,
    payload,
    digest: paeDigest(envelope.payloadType, payload),
    signatures: envelope.signatures.map((s) => Buffer.from(s.sig, 'base64')),
  };
}

export function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
