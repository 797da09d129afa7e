export { type FakeProvidersOptions, fakeApiUrl, startFakeProviders } from './server';
export type { FakeProviders, Fault, RawRequest, RecordedStatus, RefusedRequest } from './types';
