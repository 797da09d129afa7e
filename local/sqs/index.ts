export type { MessageAttributes } from './attributes';
export type { QueueSpec } from './config';
export { SqsConfigError, SqsError, type SqsErrorCode, SqsJournalError } from './errors';
export { type AttributeValue, md5OfAttributes, md5OfBody } from './md5';
export type { MessageState } from './message';
export { type QueueMessage, type SqsOptions, SqsService } from './service';
