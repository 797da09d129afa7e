// Worker-thread bootstrap: lets the handler's TypeScript load as it is, then runs the worker loop.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
