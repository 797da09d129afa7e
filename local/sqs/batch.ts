import { SqsError } from './errors';
import { type Input, objectList } from './params';

/** An entry that failed alone, as the batch APIs report it. */
export interface BatchFailure {
  readonly Id: string;
  readonly SenderFault: boolean;
  readonly Code: string;
  readonly Message: string;
}

/** A batch answer: each entry either in `Successful` or in `Failed`, by its `Id`. */
export interface BatchResult<T> {
  readonly Successful: (T & { readonly Id: string })[];
  readonly Failed: BatchFailure[];
}

const MAX_ENTRIES = 10;
const ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;

/**
 * Runs `run` on each entry of a batch request. Request-level problems (no entries, more than 10,
 * a malformed or repeated `Id`) fail the whole call as in SQS; an entry's own SqsError fails that
 * entry only. `entryType` names the entry shape in messages (`SendMessageBatchRequestEntry`, …).
 */
export function runBatch<T extends object>(input: Input, entryType: string, run: (entry: Input) => T): BatchResult<T> {
  const entries = checkedEntries(input, entryType);
  const result: BatchResult<T> = { Successful: [], Failed: [] };
  for (const [id, entry] of entries) {
    try {
      result.Successful.push({ ...run(entry), Id: id });
    } catch (error) {
      if (!(error instanceof SqsError)) throw error;
      result.Failed.push({ Id: id, SenderFault: true, Code: error.code, Message: error.message });
    }
  }
  return result;
}

function checkedEntries(input: Input, entryType: string): [string, Input][] {
  const entries = objectList(input, 'Entries');
  if (entries.length === 0) {
    throw new SqsError('EmptyBatchRequest', `There should be at least one ${entryType} in the request.`);
  }
  if (entries.length > MAX_ENTRIES) {
    throw new SqsError(
      'TooManyEntriesInBatchRequest',
      `Maximum number of entries per request are ${MAX_ENTRIES}. You have sent ${entries.length}.`,
    );
  }
  const seen = new Set<string>();
  return entries.map((entry) => {
    const id = entry.Id;
    if (typeof id !== 'string' || !ENTRY_ID.test(id)) {
      throw new SqsError(
        'InvalidBatchEntryId',
        'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
      );
    }
    if (seen.has(id)) throw new SqsError('BatchEntryIdsNotDistinct', `Id ${id} repeated.`);
    seen.add(id);
    return [id, entry];
  });
}
