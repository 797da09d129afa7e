#!/usr/bin/env node
// Entry point of the `gantry` command: registers tsx so the TypeScript sources run as they are,
// with no build step between `npm ci` and the first command.
import { register } from 'tsx/esm/api';

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

register();
await import('./main.ts');
