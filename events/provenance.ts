import * as z from 'zod/mini';

/**
 * SLSA build provenance as Gantry writes it: an in-toto Statement v1 whose predicate is SLSA
 * Provenance v1, wrapped in a DSSE envelope. Gantry (never the build) hashes the artifacts and
 * signs; Deploy verifies before any traffic moves.
 */
export const IN_TOTO_STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const SLSA_PROVENANCE_TYPE = 'https://slsa.dev/provenance/v1';
export const DSSE_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
/** What a Gantry build is: the build type URI names the parameters below, as SLSA asks. */
export const GANTRY_BUILD_TYPE = 'https://gantry.dev/provenance/codebuild/v1';

const sha256Hex = z.string().check(z.regex(/^[0-9a-f]{64}$/, 'a lowercase hex SHA-256'));

/** An artifact: its path within the build's artifacts, its digest, and where the exact bytes are. */
export const ProvenanceSubjectSchema = z.object({
  name: z.string().check(z.minLength(1)),
  digest: z.object({ sha256: sha256Hex }),
  /** `s3://bucket/key` */
  uri: z.string().check(z.startsWith('s3://')),
  annotations: z.object({ versionId: z.string().check(z.minLength(1)) }),
});
export type ProvenanceSubject = z.infer<typeof ProvenanceSubjectSchema>;

export const ResourceDescriptorSchema = z.object({
  uri: z.string(),
  digest: z.record(z.string(), z.string()),
});

export const ProvenanceStatementSchema = z.object({
  _type: z.literal(IN_TOTO_STATEMENT_TYPE),
  subject: z.array(ProvenanceSubjectSchema),
  predicateType: z.literal(SLSA_PROVENANCE_TYPE),
  predicate: z.object({
    buildDefinition: z.object({
      buildType: z.literal(GANTRY_BUILD_TYPE),
      externalParameters: z.object({
        repository: z.string(),
        ref: z.nullable(z.string()),
        commit: z.string().check(z.minLength(1)),
        /** The buildspec is read from the commit, so the commit's digest covers its content. */
        buildspec: z.object({ path: z.string(), digest: z.object({ gitCommit: z.string() }) }),
      }),
      internalParameters: z.object({
        pipeline: z.string(),
        runId: z.string(),
        trust: z.enum(['trusted', 'untrusted']),
      }),
      resolvedDependencies: z.array(ResourceDescriptorSchema),
    }),
    runDetails: z.object({
      builder: z.object({ id: z.string().check(z.minLength(1)) }),
      metadata: z.object({
        invocationId: z.string().check(z.minLength(1)),
        startedOn: z.nullable(z.string()),
        finishedOn: z.nullable(z.string()),
      }),
    }),
  }),
});
export type ProvenanceStatement = z.infer<typeof ProvenanceStatementSchema>;

/** DSSE v1 envelope (JSON form): the payload is base64 of the statement's bytes. */
export const DsseEnvelopeSchema = z.object({
  payloadType: z.string(),
  payload: z.string(),
  signatures: z
    .array(z.object({ keyid: z._default(z.string(), ''), sig: z.string().check(z.minLength(1)) }))
    .check(z.minLength(1)),
});
export type DsseEnvelope = z.infer<typeof DsseEnvelopeSchema>;

/** What the run record keeps of its build's provenance: where the signed envelope is, pinned. */
export const RunProvenanceSchema = z.object({
  bucket: z.string(),
  key: z.string(),
  versionId: z.string(),
  /** SHA-256 of the envelope's bytes as stored: the run record vouches for exactly this document. */
  envelopeSha256: sha256Hex,
  builderId: z.string(),
  keyId: z.string(),
  subjects: z.array(z.object({ name: z.string(), sha256: sha256Hex, versionId: z.string() })),
  recordedAt: z.string(),
});
export type RunProvenance = z.infer<typeof RunProvenanceSchema>;
