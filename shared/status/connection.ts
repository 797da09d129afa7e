import type { Logger } from '@aws-lambda-powertools/logger';
import type { TokenSource } from '../secrets/secrets';
import type { StatusApis, StatusPort, StatusPosted } from './port';
import type { HttpCommitStatusReporter } from './reporter';
import type { CommitStatusRequest, ReportOutcome } from './types';

/**
 * Commit statuses through the connection: its API URL from the function's configuration, its
 * token from its own secret (never the one the webhook receiver reads). A provider that refuses or is unreachable is logged; the
 * run goes on (a status is a courtesy to the developer, the run record is the truth).
 */
export class ConnectionStatusPort implements StatusPort {
  constructor(
    private readonly reporter: Pick<HttpCommitStatusReporter, 'report'>,
    private readonly secrets: TokenSource,
    private readonly apis: StatusApis,
    private readonly logger: Pick<Logger, 'info' | 'warn'>,
  ) {}

  async report(request: CommitStatusRequest): Promise<StatusPosted> {
    const api = this.apis[request.connection];
    if (api === undefined) {
      this.logger.warn('no status API for connection', { connection: request.connection });
      return { posted: false, retryLater: false };
    }
    const apiToken = await this.secrets.apiToken(request.secretId);
    const outcome = await this.reporter.report({
      ...request,
      apiUrl: api.apiUrl,
      ...(apiToken ? { token: apiToken } : {}),
    });
    const log = outcome.outcome === 'failed' ? this.logger.warn.bind(this.logger) : this.logger.info.bind(this.logger);
    log('commit status', { commit: request.commit, state: request.state, ...outcome });
    return postedOf(outcome);
  }
}

/**
 * Answers a later attempt may change: none at all, the provider's own trouble, credentials
 * refused (401, 403; Azure DevOps answers a token it does not take with a 203 sign-in page), or
 * a redirect (a wrong apiUrl or a moved repository, which an operator fixes before a redrive).
 * A 404 or 422 will not change (a token that lost access to a private repository gets 404 from
 * GitHub and GitLab too: that one is only logged).
 */
const RETRY_LATER = new Set([203, 401, 403, 408, 429]);

/** What a reporter's outcome means to a caller that could ask again later. */
export function postedOf(outcome: ReportOutcome): StatusPosted {
  if (outcome.outcome === 'delivered') return { posted: true, retryLater: false };
  if (outcome.outcome === 'skipped') return { posted: false, retryLater: false };
  const code = outcome.statusCode;
  const later = code === undefined || code >= 500 || (code >= 300 && code < 400) || RETRY_LATER.has(code);
  return { posted: false, retryLater: later };
}
