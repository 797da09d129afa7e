import { en } from 'zod/locales';
import { config } from 'zod/mini';

/**
 * Gantry's schemas are built with `zod/mini` (a small bundle and a fast cold start, README "Lambda
 * bundles"), which leaves every issue's message at "Invalid input" until a locale is configured.
 * Each process that reports validation messages (every function, through `observability()`; the
 * command, in its main; the CDK app's entry) calls this first, so an operator reads "expected string, received
 * number" rather than a bare "Invalid input". Zod's configuration is one per process.
 */
export function englishMessages(): void {
  if (config().localeError === undefined) config(en());
}
