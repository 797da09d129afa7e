import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from './identity';
import type { EdgeRestService } from './server';

const ACCOUNT = '000000000000';

/** The ARN STS would name an authenticated local principal by. */
export function arnOf(principal: Principal): string {
  switch (principal.kind) {
    case 'user':
      return principal.arn;
    case 'role':
      return `arn:aws:sts::${ACCOUNT}:assumed-role/${principal.roleName}/gantry-local`;
    case 'operator':
      return `arn:aws:iam::${ACCOUNT}:user/gantry-operator`;
    case 'internal':
      return `arn:aws:iam::${ACCOUNT}:user/gantry-internal`;
  }
}

/**
 * STS's GetCallerIdentity (query protocol, XML answer) for credentials this edge issued: the edge
 * has verified the request's SigV4 signature (header or presigned) before this answers, so a
 * presigned caller proof runs the same code path locally as against STS in AWS.
 */
export function stsService(): EdgeRestService {
  return {
    name: 'sts',
    accepts: (_req: IncomingMessage, url: URL) =>
      url.pathname === '/' && url.searchParams.get('Action') === 'GetCallerIdentity',
    handle: async (_req: IncomingMessage, res: ServerResponse, _url: URL, principal?: Principal) => {
      if (principal === undefined) {
        res.writeHead(403, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ message: 'the caller was not authenticated' }));
      }
      const arn = arnOf(principal);
      res
        .writeHead(200, { 'content-type': 'text/xml' })
        .end(
          `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>${xmlEscape(arn)}</Arn><UserId>${xmlEscape(arn.split('/').pop() ?? arn)}</UserId><Account>${ACCOUNT}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
        );
    },
  };
}

function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
