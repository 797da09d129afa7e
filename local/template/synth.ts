import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildGantryApp } from '../../infra/app';
import type { GantryConfig } from '../../infra/config/schema';
import type { StackTemplate } from './types';

/**
 * Constructs the Gantry CDK app in-process with bundling skipped and returns its templates:
 * local mode runs exactly what `cdk synth` describes, minus the Lambda bundles.
 */
export function synthTemplates(config: GantryConfig): StackTemplate[] {
  const outdir = mkdtempSync(join(tmpdir(), 'gantry-synth-'));
  try {
    const { app } = buildGantryApp({
      config,
      nag: false,
      // CDK's built-in CloudFormation rules (a WebAssembly validator) took ~2.7 s of a ~9 s first
      // start; `cdk synth` (npm run synth, CI) runs them, and cdk-nag, on the same templates.
      builtinCloudFormationValidation: false,
      outdir,
      context: { 'aws:cdk:bundling-stacks': [] },
    });
    return app.synth().stacks.map((s) => ({
      stackName: s.stackName,
      template: s.template,
      ...(/^\d{12}$/.test(s.environment.account) ? { accountId: s.environment.account } : {}),
    }));
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
