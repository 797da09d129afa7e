import { epochSeconds } from '../edge/aws-json';
import type { JsonObject } from '../eventbridge/json';
import { executionIn, type Operation } from './api-context';
import type { HistoryEventRecord } from './history-events';
import { pageOf } from './paging';

/** The fields that carry execution data, left out when includeExecutionData is false. */
const EXECUTION_DATA = new Set(['input', 'output']);

/** GetExecutionHistory: events oldest first (or newest first with reverseOrder), paged by event id. */
const getExecutionHistory: Operation = (api, input) => {
  const record = executionIn(api, input);
  const reverse = input.reverseOrder === true;
  const withData = input.includeExecutionData !== false;
  const events = api.registry.history(record.executionArn);
  if (reverse) events.reverse();
  const page = pageOf(events, (e) => e.id, input, `history:${record.executionArn}:${reverse}`);
  return {
    events: page.items.map((e) => historyEvent(e, withData)),
    ...(page.nextToken ? { nextToken: page.nextToken } : {}),
  };
};

/** A stored event in the API's HistoryEvent shape (timestamps in epoch seconds). */
function historyEvent(event: HistoryEventRecord, withData: boolean) {
  const base = {
    timestamp: epochSeconds(event.timestamp),
    type: event.type,
    id: event.id,
    previousEventId: event.previousEventId,
  };
  if (event.detailsKey === undefined) return base;
  return { ...base, [event.detailsKey]: withData ? event.details : withoutData(event.details ?? {}) };
}

function withoutData(details: JsonObject): JsonObject {
  return Object.fromEntries(Object.entries(details).filter(([key]) => !EXECUTION_DATA.has(key)));
}

/** The history operation, by name. */
export const historyOperations: Readonly<Record<string, Operation>> = {
  GetExecutionHistory: getExecutionHistory,
};
