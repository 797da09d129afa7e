// Worker-thread bootstrap for dynalite: lets its TypeScript load as it is, then serves.
import { register } from 'tsx/esm/api';

register();
await import('./thread.ts');
