export * from './audit-record';
export * from './codedeploy-event';
export * from './notifications';
export * from './pipeline-definition';
export * from './pipeline-state';
export * from './provenance';
export * from './run-plan';
export * from './source-event';
