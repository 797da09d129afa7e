/**
 * `npm run bench -- <name>`: speed and memory targets are checked here, never in timed tests.
 * Prints a Markdown report for the README's performance section.
 */
import { englishMessages } from '../../shared/zod-messages';

// As every Gantry process does at its start: zod/mini's messages are "Invalid input" until then.
englishMessages();

const BENCHES: Record<string, () => Promise<string>> = {
  webhook: async () => (await import('./webhook')).benchWebhook({ rounds: 5, count: 20_000 }),
  local: async () =>
    (await import('./local')).benchLocal({
      rounds: 3,
      durationSec: 4,
      connections: [1, 10, 50],
      spreadConnections: [10, 50],
      spreadRepositories: 10,
      samples: process.argv.includes('--load-only') ? 0 : 25,
    }),
  pipeline: async () =>
    (await import('./pipeline')).benchPipeline({ idleRuns: 15, pipelines: 10, runsEach: 3, rounds: 3 }),
  audit: async () => (await import('./audit')).benchAudit({ rounds: 3, appends: 2000, events: 100_000 }),
  provenance: async () => (await import('./provenance')).benchProvenance({ rounds: 5 }),
  gates: async () => (await import('./gates')).benchGates({ rounds: 5 }),
  dora: async () => (await import('./dora')).benchDora({ rounds: 5, events: 1_000_000 }),
  deploy: async () => (await import('./deploy')).benchDeploy({ rounds: 5, rate: 200, timeScale: 300, steadySec: 5 }),
  iam: async () => (await import('./iam')).benchIam({ rounds: 5, calls: 20_000 }),
  bundles: async () => (await import('./bundles')).benchBundles({ rounds: 5 }),
  console: async () => (await import('./console')).benchConsole({ rounds: 5, runs: 10_000 }),
  start: async () => (await import('./start')).benchStart({ rounds: 3 }),
  cli: async () => (await import('./cli')).benchCli({ rounds: 10 }),
};

const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const chosen = names.length > 0 ? names : Object.keys(BENCHES);
const unknown = chosen.filter((n) => !(n in BENCHES));
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark ${unknown.join(', ')}; choose from ${Object.keys(BENCHES).join(', ')}\n`);
  process.exit(2);
}
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
for (const name of chosen) {
  process.stderr.write(`bench ${name} `);
  const run = BENCHES[name];
  if (run) process.stdout.write(`\n## ${name}\n\n${await run()}\n`);
}
