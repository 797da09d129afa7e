import { hash } from 'node:crypto';
import canonicalize from 'canonicalize';
import * as z from 'zod/mini';
import { CLOCK_SKEW_SECONDS } from './chain';
import type { AuditReader } from './reader';

/** What a checkpoint signs: every chain's head at one moment. */
export const CheckpointBodySchema = z.object({
  version: z.literal(1),
  time: z.string(),
  keyId: z.string(),
  algorithm: z.string(),
  chains: z.array(
    z.object({
      chain: z.string(),
      seq: z.number().check(z.int()),
      hash: z.string(),
      /**
       * When the head's retention ends (epoch seconds): until then no gap may excuse its absence.
       * Checkpoints signed before 2026-12 lack it; their heads are excused by a successor's
       * `prevExpiresAt`, which nothing signs.
       */
      expiresAt: z.optional(z.number().check(z.int())),
    }),
  ),
  /**
   * Minutes until the next scheduled checkpoint is due (the schedule's rate): a record signed by
   * none longer than twice that tells verify the schedule stopped. Only the scheduled function
   * states it; checkpoints signed before 2026-12-07, and those made by hand, do not.
   */
  everyMinutes: z.optional(z.number().check(z.int(), z.gte(1))),
});
export type CheckpointBody = z.infer<typeof CheckpointBodySchema>;
export const CheckpointSchema = z.extend(CheckpointBodySchema, { signature: z.string() });
export type Checkpoint = z.infer<typeof CheckpointSchema>;

export const CHECKPOINT_ALGORITHM = 'ECDSA_SHA_256';

/** How often the scheduled checkpoint runs unless the config says otherwise (`audit.checkpointMinutes`). */
export const DEFAULT_CHECKPOINT_MINUTES = 60;

/** Port: signs and verifies checkpoint bodies with an asymmetric key the writers cannot export. */
export interface CheckpointSigner {
  readonly keyId: string;
  sign(message: Buffer): Promise<Buffer>;
  verify(message: Buffer, signature: Buffer): Promise<boolean>;
}

/** Port: where signed checkpoints are kept (write-once storage in AWS). */
export interface CheckpointStore {
  put(checkpoint: Checkpoint): Promise<string>;
  list(): AsyncIterable<{ key: string; checkpoint: Checkpoint | Error }>;
}

/** The bytes a checkpoint's signature covers: its body, RFC 8785 canonical (`everyMinutes` only when stated, as before it existed). */
export function checkpointMessage(body: CheckpointBody): Buffer {
  const { version, time, keyId, algorithm, chains, everyMinutes } = body;
  const signed = { version, time, keyId, algorithm, chains, ...(everyMinutes === undefined ? {} : { everyMinutes }) };
  return Buffer.from(canonicalize(signed) ?? '');
}

/**
 * Signs every chain's current head and stores the checkpoint; the scheduled function states when
 * the next one is due (`everyMinutes`). The chains are the registry's and every chain written to
 * since about the previous checkpoint (twice the rate, plus clock skew), found by day: a chain whose
 * registry entry was removed before any checkpoint signed it is signed all the same, so verify
 * walks it (it walks every chain a checkpoint signed) and its records cannot go unseen.
 */
export async function writeCheckpoint(
  reader: Pick<AuditReader, 'chains' | 'head' | 'chainsWrittenSince'>,
  signer: CheckpointSigner,
  store: CheckpointStore,
  now: Date = new Date(),
  everyMinutes?: number,
): Promise<{ key: string; checkpoint: Checkpoint }> {
  const window = (2 * (everyMinutes ?? DEFAULT_CHECKPOINT_MINUTES) * 60 + CLOCK_SKEW_SECONDS) * 1000;
  const listed = new Set([...(await reader.chains()), ...(await reader.chainsWrittenSince(now.getTime() - window))]);
  const chains = [];
  for (const chain of [...listed].sort()) {
    const head = await reader.head(chain);
    if (head) chains.push({ chain, seq: head.seq, hash: head.hash, expiresAt: head.expiresAt });
  }
  const body: CheckpointBody = {
    version: 1,
    time: now.toISOString(),
    keyId: signer.keyId,
    algorithm: CHECKPOINT_ALGORITHM,
    chains,
    ...(everyMinutes === undefined ? {} : { everyMinutes }),
  };
  const signature = (await signer.sign(checkpointMessage(body))).toString('base64');
  const checkpoint = { ...body, signature };
  return { key: await store.put(checkpoint), checkpoint };
}

/**
 * A signer whose verdicts are remembered, by the message's and signature's digest: verifying a
 * given signature with a given key always gives the same answer, so a long-lived reader (the
 * console's function, which checks the checkpoints for every dossier) asks KMS once per checkpoint.
 */
export function rememberingVerdicts(signer: CheckpointSigner): CheckpointSigner {
  const verdicts = new Map<string, boolean>();
  return {
    keyId: signer.keyId,
    sign: (message) => signer.sign(message),
    verify: async (message, signature) => {
      const id = `${hash('sha256', message, 'hex')}:${hash('sha256', signature, 'hex')}`;
      const known = verdicts.get(id);
      if (known !== undefined) return known;
      const verdict = await signer.verify(message, signature);
      verdicts.set(id, verdict);
      return verdict;
    },
  };
}
