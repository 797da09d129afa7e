export * from './audit-record';
export * from './codedeploy-event';
export * from './provenance';
export * from './source-event';
