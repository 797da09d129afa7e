import * as z from 'zod/mini';

/** A function's configuration is invalid: raised at cold start so the function fails fast. */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

/**
 * Reads a function's environment through a zod schema, once, at cold start. The message names
 * every bad variable and never echoes a value (values may be secrets).
 */
export function readEnv<S extends z.ZodMiniType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`);
  throw new ConfigurationError(`invalid environment: ${problems.join('; ')}`);
}

/** A positive integer given as a string, with a default. */
export function intFromEnv(defaultValue: number) {
  return z._default(z.coerce.number().check(z.int(), z.positive()), defaultValue);
}

/** A JSON document held in an environment variable, validated by `schema`. */
export function jsonFromEnv<S extends z.ZodMiniType>(schema: S) {
  return z.pipe(
    z.pipe(
      z.string(),
      z.transform((text, ctx) => {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          ctx.issues.push({ code: 'custom', message: 'is not valid JSON', input: text });
          return z.NEVER;
        }
      }),
    ),
    schema,
  );
}
