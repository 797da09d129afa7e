/** The queue a QueueUrl names: the account and queue name of its path. */
export interface QueueAddress {
  readonly account: string;
  readonly name: string;
}

/**
 * The queue a QueueUrl names, as local SQS and local IAM both read it: any host, the path
 * exactly `/<account>/<name>`, and no query or fragment (which a reader taking the text after
 * the last `/` would mistake for the queue). Undefined for anything else.
 */
export function queueAddress(url: string): QueueAddress | undefined {
  if (url.includes('?') || url.includes('#')) return undefined;
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    return undefined;
  }
  const [root, account, name, ...rest] = path.split('/');
  if (root !== '' || !account || !name || rest.length > 0) return undefined;
  return { account, name };
}
