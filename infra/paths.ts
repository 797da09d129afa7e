import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: constructs find handler entries and the lock file from here. */
export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
