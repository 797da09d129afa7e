export * from './audit-record';
export * from './codedeploy-event';
export * from './source-event';
