import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { type ArnLookups, accessOf } from '../../../local/iam/requests';

const ARNS: ArnLookups = {
  region: 'us-east-1',
  accountId: '000000000000',
  secretArn: (id) => id,
  keyArn: (id) => id,
  stateMachineArns: () => [],
  deploymentGroupArns: () => [],
};
const TOPIC = 'arn:aws:sns:us-east-1:000000000000:oncall';

/** A query-protocol form POST to `/`, signed for `service` as the SDK signs it. */
async function formPost(service: string, form: Record<string, string>) {
  const body = new URLSearchParams(form).toString();
  const signer = new SignatureV4({
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
    region: 'us-east-1',
    service,
    sha256: Sha256,
  });
  const signed = await signer.sign({
    method: 'POST',
    protocol: 'http:',
    hostname: '127.0.0.1',
    path: '/',
    headers: { host: '127.0.0.1:4566', 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  return { method: 'POST', url: new URL('http://127.0.0.1:4566/'), headers: signed.headers, body: Buffer.from(body) };
}

describe('accessOf for query-protocol calls', () => {
  it('asks for sns:Publish on the topic for an SNS Publish (not for S3 ListAllMyBuckets)', async () => {
    const call = await formPost('sns', { Action: 'Publish', TopicArn: TOPIC, Message: 'hi' });
    expect(accessOf(call, ARNS)).toEqual([{ action: 'sns:Publish', resources: [TOPIC] }]);
  });

  it('asks nothing of IAM for STS: AssumeRole is decided against the role trust policy where it is served', async () => {
    const call = await formPost('sts', { Action: 'AssumeRole', RoleArn: 'arn:aws:iam::222222222222:role/x' });
    expect(accessOf(call, ARNS)).toEqual([]);
  });

  it('still reads an unsigned GET of / as S3 ListBuckets', () => {
    const call = { method: 'GET', url: new URL('http://127.0.0.1:4566/'), headers: {}, body: undefined };
    expect(accessOf(call, ARNS)).toEqual([{ action: 's3:ListAllMyBuckets', resources: ['*'] }]);
  });
});
