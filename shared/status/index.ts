export { ConnectionStatusPort } from './connection';
export { API_URL_EXAMPLES, apiUrlFor, DEFAULT_API_URLS, PROVIDERS_REQUIRING_API_URL } from './defaults';
export { MAX_DESCRIPTION_LENGTH, truncateDescription } from './description';
export { ApiUrlRequiredError, CommitStatusError, InvalidCommitStatusError } from './errors';
export {
  fetchHttpClient,
  type HttpClient,
  HttpNetworkError,
  type HttpRequest,
  type HttpResponse,
  HttpTimeoutError,
} from './http';
export { type StatusApis, StatusApisSchema, type StatusPort, type StatusPosted } from './port';
export {
  AZURE_DEVOPS_API_VERSION,
  AZURE_DEVOPS_GENRE,
  BITBUCKET_CLOUD_KEY_MAX,
  BITBUCKET_DC_KEY_MAX,
  bitbucketKey,
  GITHUB_API_VERSION,
} from './providers';
export { DEFAULT_TIMEOUT_MS, HttpCommitStatusReporter, type HttpCommitStatusReporterOptions } from './reporter';
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry';
export * from './types';
