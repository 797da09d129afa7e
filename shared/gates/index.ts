/**
 * The gates: parsers for the reports a build writes (JUnit XML; Cobertura, LCOV, JaCoCo and
 * Clover coverage; SARIF 2.1.0) and the evaluation of a pipeline's gates against them.
 * Everything here is pure except `files.ts`, which reads reports from disk.
 */
export {
  detectCoverageFormat,
  parseClover,
  parseCobertura,
  parseCoverage,
  parseJaCoCo,
  parseLcov,
} from './coverage-formats';
export { GateError, GatesConfigError, type ReportKind, ReportParseError, ReportReadError } from './errors';
export { evaluateGates } from './evaluate';
export { type GateFiles, impliedGates, parseGatesConfig, readGateReports, readGatesConfig } from './files';
export { MAX_REPORT_BYTES, type ReportInput } from './input';
export { MAX_LISTED_FAILURES, parseJUnit } from './junit';
export { metricsOf } from './metrics';
export * from './reports';
export { parseSarif } from './sarif/parse';
