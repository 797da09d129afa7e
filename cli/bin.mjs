#!/usr/bin/env node
// Entry point of the `gantry` command: registers tsx so the TypeScript sources run as they are,
// with no build step between `npm ci` and the first command.
import { register } from 'tsx/esm/api';

// The AWS SDK warns once per process that its 2027 releases need Node 22; the README says so
// once, and the warning would otherwise interleave with command output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

register();
await import('./main.ts');
