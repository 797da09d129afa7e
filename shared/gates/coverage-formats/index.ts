import { assertReportSize, type ReportInput } from '../input';
import type { CoverageFormat, CoverageReport } from '../reports';
import { parseClover } from './clover';
import { parseCobertura } from './cobertura';
import { detectCoverageFormat } from './detect';
import { parseJaCoCo } from './jacoco';
import { parseLcov } from './lcov';

const PARSERS: Record<CoverageFormat, (input: ReportInput, file: string) => CoverageReport> = {
  cobertura: parseCobertura,
  lcov: parseLcov,
  jacoco: parseJaCoCo,
  clover: parseClover,
};

/**
 * Reads a line-coverage report in any of the formats build tools write, detected from its
 * content: pipelines hand over whatever the buildspec produced, named however it was named.
 */
export function parseCoverage(input: ReportInput, file: string): CoverageReport {
  assertReportSize(input, file, 'coverage');
  return PARSERS[detectCoverageFormat(input, file)](input, file);
}

export { detectCoverageFormat, parseClover, parseCobertura, parseJaCoCo, parseLcov };
