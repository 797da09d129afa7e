import * as z from 'zod/mini';

/**
 * A schema's `parse` and `safeParse`, on the checker zod generates for the schema (`z.compile`)
 * in a process that asked for generated checkers (`useGeneratedCheckers`), and on zod/mini's
 * runtime checker otherwise. A value the generated checker does not accept is parsed again by the
 * runtime checker, so a failure's issues are the runtime's; a schema zod cannot compile stays on
 * the runtime checker.
 */
export interface LazyCompiled<S extends z.ZodMiniType> {
  /** The schema as written, on the runtime checker: what the generated one must agree with. */
  readonly schema: S;
  readonly parse: S['parse'];
  readonly safeParse: S['safeParse'];
}

let generate: (<S extends z.ZodMiniType>(schema: S) => S) | undefined;

/**
 * Has this process's `lazyCompiled` parsers run on generated checkers: a warm parse is many times
 * faster than on the runtime checker, and each checker is generated at its schema's first parse
 * (a few ms), not when a cold start imports the module. zod's compiler is ~34 KB of a bundle, so
 * only a function whose warm parses matter (the webhook receiver) calls this; the others do not
 * carry it.
 */
export function useGeneratedCheckers(): void {
  generate = z.compile;
}

/** `schema`'s parse and safeParse, on the checker zod generates for it when it is first used. */
/* #__NO_SIDE_EFFECTS__ */
export function lazyCompiled<S extends z.ZodMiniType>(schema: S): LazyCompiled<S> {
  let compiled: S | undefined;
  const checker = (): S => {
    if (compiled === undefined && generate !== undefined) compiled = generate(schema);
    return compiled ?? schema;
  };
  return {
    schema,
    parse: ((value, params) => checker().parse(value, params)) as S['parse'],
    safeParse: ((value, params) => checker().safeParse(value, params)) as S['safeParse'],
  };
}
