// Worker-thread bootstrap: lets the TypeScript sources load as they are, then serves read requests.
import { register } from 'tsx/esm/api';

register();
await import('./export-reader-loop.ts');
