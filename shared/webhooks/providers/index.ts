import type { Provider } from '../../../events';
import { github } from './github';
import type { ProviderAdapter } from './types';

/** Every provider Gantry accepts, by the `{provider}` path segment of the webhook URL. */
export const PROVIDER_ADAPTERS: Readonly<Partial<Record<Provider, ProviderAdapter>>> = {
  github,
};

export type { ProviderAdapter, Verification } from './types';
