#!/usr/bin/env node
// Entry point of the `gantry` command: registers tsx so the TypeScript sources run as they are,
// with no build step between `npm ci` and the first command.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
