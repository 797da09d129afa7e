#!/usr/bin/env node
// Entry point of the `gantry` command. The TypeScript sources run with no build step between
// `npm ci` and the first command: bundled on first use and cached while they are unchanged
// (./bundle.mjs), or through tsx as they are when that bundle cannot be built or written, or
// when GANTRY_CLI_FROM_SOURCE is set.

// On Node 20 the AWS SDK warns, in eight lines, that its releases after early January 2027 need
// Node 22. Users should know; one line says it without burying the command's output. Setting
// the SDK's own AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED silences both. Commands that
// work offline on files (gates, webhook) never load the SDK, and CI tools read their stderr.
const offline = ['gates', 'webhook'].includes(process.argv[2] ?? '');
if (
  Number(process.versions.node.split('.')[0]) < 22 &&
  !offline &&
  !process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED
) {
  process.stderr.write(
    `gantry: note: Node.js ${process.version} is supported, but AWS SDK releases after early January 2027 need Node.js 22 or later\n`,
  );
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
}

/** With GANTRY_DEBUG, why the bundle was not used. */
function sayWhy(error) {
  if (process.env.GANTRY_DEBUG) process.stderr.write(`gantry: running from source: ${error?.message ?? error}\n`);
}

/** The tsx path: the TypeScript sources as they are. */
async function fromSource() {
  (await import('tsx/esm/api')).register();
  await import('./main.ts');
}

async function bundled() {
  if (process.env.GANTRY_CLI_FROM_SOURCE) return undefined;
  try {
    return await (await import('./bundle.mjs')).bundledCli();
  } catch (error) {
    // A cache folder that cannot be written, or a source esbuild refuses (tsx reports it as it runs).
    sayWhy(error);
    return undefined;
  }
}

const main = await bundled();
if (main === undefined) await fromSource();
else {
  // A stack GANTRY_DEBUG prints names the source files, not the bundle's.
  if (process.env.GANTRY_DEBUG) process.setSourceMapsEnabled(true);
  try {
    await import(main);
  } catch (error) {
    if (globalThis.__gantryCliLinked) throw error;
    sayWhy(error);
    await fromSource();
  }
}
