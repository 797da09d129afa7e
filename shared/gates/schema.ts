import { z } from 'zod';

const Limit = z.number().int('must be a whole number').min(0, 'must be 0 or more');

/**
 * The quality and security gates of a pipeline: what the EvaluateGates step checks and what
 * `gantry gates evaluate --config` reads. Every gate is optional; an absent gate is not checked,
 * and a gate that needs a report fails when that report is missing. The pipeline config reuses
 * this schema, so it is strict: a misspelt gate is an error, not a gate silently left off.
 */
export const GatesSchema = z.strictObject({
  /** Every test must pass, and at least one must have run. */
  requireTestsPassed: z.boolean().optional(),
  /** The least line coverage accepted, in percent (0–100). */
  minLineCoverage: z.number().min(0).max(100).optional(),
  /** The most findings accepted at each SARIF level; a level left out is not limited. */
  maxFindings: z
    .strictObject({ error: Limit.optional(), warning: Limit.optional(), note: Limit.optional() })
    .optional(),
  /** The most findings accepted per `security-severity` bucket (critical ≥ 9.0, high ≥ 7.0). */
  maxSecurity: z.strictObject({ critical: Limit.optional(), high: Limit.optional() }).optional(),
});

/** The gates of one pipeline, as validated by `GatesSchema`. */
export type Gates = z.infer<typeof GatesSchema>;
