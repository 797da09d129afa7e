import * as z from 'zod/mini';
import { jsonFromEnv, readEnv } from '../config/env';

/** Environment variable: JSON, target account id → the role in it that the control plane assumes. */
export const TARGET_ROLES_ENV = 'GANTRY_TARGET_ROLES';

const TargetRolesSchema = z.record(z.string().check(z.regex(/^\d{12}$/)), z.string().check(z.startsWith('arn:')));

/**
 * Target account id → the ARN of the role this function assumes there (its step's kind: release,
 * verify or stop); empty when every target is in the control plane's account.
 */
export type TargetRoles = Readonly<Record<string, string>>;

/** The target roles this function may assume, read once at cold start (absent: none). */
export function loadTargetRoles(env: NodeJS.ProcessEnv = process.env): TargetRoles {
  return readEnv(z.object({ [TARGET_ROLES_ENV]: z._default(jsonFromEnv(TargetRolesSchema), {}) }), env)[
    TARGET_ROLES_ENV
  ];
}
