import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * A DynamoDB document client that drops undefined attributes and keeps numbers exact.
 * Built once per module scope by the adapters' factories, never per request.
 *
 * Without the SDK's logger middleware: Gantry gives its SDK clients no logger, and with the
 * default no-op one the middleware still copies every call's input and output through the
 * service's schema to mask sensitive fields before handing them to a logger that drops them.
 * On a 1 MB Query page (the ledger's reads) that walk was ~5% of the audit benchmark's CPU.
 */
export function documentClient(client: DynamoDBClient = new DynamoDBClient({})): DynamoDBDocumentClient {
  client.middlewareStack.remove(SDK_LOGGER_MIDDLEWARE);
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    unmarshallOptions: { wrapNumbers: exactNumber },
  });
}

/**
 * A stored number as a JS number when it is one exactly, else its digits as a string. Gantry
 * never writes another (the SDK refuses to marshal an unsafe number), so only an item written by
 * hand holds one: left to the SDK it would come back as a BigInt, which hashing and JSON cannot
 * take (verify, export and the dossier would stop with a TypeError naming no record), or make
 * the whole read throw; as a string it is content that no longer hashes to what was written,
 * which verify reports as that record's alteration.
 */
export function exactNumber(digits: string): number | string {
  const value = Number(digits);
  return Number.isFinite(value) && Math.abs(value) <= Number.MAX_SAFE_INTEGER ? value : digits;
}

/** The name the AWS SDK gives its logger middleware (`@aws-sdk/core`). */
const SDK_LOGGER_MIDDLEWARE = 'loggerMiddleware';
