export * from './audit-record';
export * from './source-event';
