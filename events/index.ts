export * from './source-event';
