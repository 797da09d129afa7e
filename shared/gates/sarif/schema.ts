import * as z from 'zod';

/**
 * The parts of a SARIF 2.1.0 log the gates read, and no more: every object is loose, so the many
 * properties tools add pass through unexamined, while what the gates rely on is checked.
 */
export const SarifLevelSchema = z.enum(['error', 'warning', 'note', 'none']);

const PropertyBag = z.record(z.string(), z.unknown());

const Message = z.looseObject({
  text: z.string().optional(),
  markdown: z.string().optional(),
  id: z.string().optional(),
  arguments: z.array(z.string()).optional(),
});

const ReportingDescriptor = z.looseObject({
  id: z.string(),
  defaultConfiguration: z.looseObject({ level: SarifLevelSchema.optional() }).optional(),
  properties: PropertyBag.optional(),
  messageStrings: z.record(z.string(), z.looseObject({ text: z.string().optional() })).optional(),
});

const ToolComponent = z.looseObject({
  name: z.string(),
  rules: z.array(ReportingDescriptor).optional(),
});

const ToolComponentReference = z.looseObject({ index: z.number().int().optional(), name: z.string().optional() });

const DescriptorReference = z.looseObject({
  id: z.string().optional(),
  index: z.number().int().optional(),
  toolComponent: ToolComponentReference.optional(),
});

const ArtifactLocation = z.looseObject({
  uri: z.string().optional(),
  index: z.number().int().optional(),
});

const Location = z.looseObject({
  physicalLocation: z
    .looseObject({
      artifactLocation: ArtifactLocation.optional(),
      region: z.looseObject({ startLine: z.number().int().optional() }).optional(),
    })
    .optional(),
});

const Result = z.looseObject({
  ruleId: z.string().optional(),
  ruleIndex: z.number().int().optional(),
  rule: DescriptorReference.optional(),
  kind: z.enum(['notApplicable', 'pass', 'fail', 'review', 'open', 'informational']).optional(),
  level: SarifLevelSchema.optional(),
  message: Message,
  locations: z.array(Location).optional(),
  properties: PropertyBag.optional(),
  suppressions: z
    .array(z.looseObject({ status: z.enum(['accepted', 'underReview', 'rejected']).optional() }))
    .optional(),
  baselineState: z.enum(['new', 'unchanged', 'updated', 'absent']).optional(),
});

const Invocation = z.looseObject({
  executionSuccessful: z.boolean().optional(),
  ruleConfigurationOverrides: z
    .array(
      z.looseObject({
        descriptor: DescriptorReference,
        configuration: z.looseObject({ level: SarifLevelSchema.optional() }),
      }),
    )
    .optional(),
});

const Run = z.looseObject({
  tool: z.looseObject({ driver: ToolComponent, extensions: z.array(ToolComponent).optional() }),
  results: z.array(Result).nullable().optional(),
  artifacts: z.array(z.looseObject({ location: ArtifactLocation.optional() })).optional(),
  invocations: z.array(Invocation).optional(),
});

export const SarifLogSchema = z.looseObject({
  version: z.literal('2.1.0'),
  runs: z.array(Run),
});

export type SarifLog = z.infer<typeof SarifLogSchema>;
export type SarifRun = z.infer<typeof Run>;
export type SarifResult = z.infer<typeof Result>;
export type SarifRule = z.infer<typeof ReportingDescriptor>;
export type SarifComponent = z.infer<typeof ToolComponent>;
