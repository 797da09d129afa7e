import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Provider } from '../../events';
import type { Headers } from './request';

/**
 * A delivery that passed verification but could not be published: everything needed to
 * redrive it (normalize and publish again) without asking the provider to resend.
 */
export interface DeadLetter {
  readonly version: 1;
  readonly provider: Provider;
  readonly deliveryId: string;
  readonly receivedAt: string;
  readonly reason: string;
  /** The events of this delivery that did not reach the bus (the others did). */
  readonly failedEventIds: readonly string[];
  /**
   * The delivery's headers, minus credentials (tokens, Basic auth) and signatures: a dead letter
   * was verified when it was received, and a stored signature would only help someone replay it.
   */
  readonly headers: Headers;
  readonly body: { readonly encoding: 'utf8' | 'base64'; readonly data: string };
}

/** Port: the place deliveries go when the bus will not take them. */
export interface DeadLetterSink {
  send(letter: DeadLetter): Promise<void>;
}

/** Headers that carry a credential or a signature: never stored. */
const CREDENTIAL_HEADERS = new Set(['authorization', 'x-gitlab-token', 'proxy-authorization', 'cookie']);
const SIGNATURE_HEADER = /signature/i;

/** Builds a dead letter from the raw delivery, keeping the body byte-exact. */
export function deadLetterOf(
  fields: Omit<DeadLetter, 'version' | 'headers' | 'body'> & { headers: Headers; body: Buffer },
): DeadLetter {
  const headers = Object.fromEntries(
    Object.entries(fields.headers).filter(([name]) => !CREDENTIAL_HEADERS.has(name) && !SIGNATURE_HEADER.test(name)),
  );
  const text = fields.body.toString('utf8');
  const exact = Buffer.from(text, 'utf8').equals(fields.body);
  return {
    ...fields,
    version: 1,
    headers,
    body: exact ? { encoding: 'utf8', data: text } : { encoding: 'base64', data: fields.body.toString('base64') },
  };
}

/**
 * Dead letters as SQS messages, with the provider and reason as attributes for filtering. The
 * SQS client module loads with the first letter (`client` is asked for then): nearly every cold
 * start of the receiver sends none, and loading it took ~5 ms of each.
 */
export class SqsDeadLetterSink implements DeadLetterSink {
  constructor(
    private readonly client: () => Promise<Pick<SQSClient, 'send'>>,
    private readonly queueUrl: string,
  ) {}

  async send(letter: DeadLetter): Promise<void> {
    const [{ SendMessageCommand }, client] = await Promise.all([import('@aws-sdk/client-sqs'), this.client()]);
    await client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(letter),
        MessageAttributes: {
          provider: { DataType: 'String', StringValue: letter.provider },
          deliveryId: { DataType: 'String', StringValue: letter.deliveryId.slice(0, 256) },
        },
      }),
    );
  }
}
