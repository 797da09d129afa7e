import * as z from 'zod/mini';

/**
 * The parts of a SARIF 2.1.0 log the gates read, and no more: every object is loose, so the many
 * properties tools add pass through unexamined, while what the gates rely on is checked.
 */
export const SarifLevelSchema = z.enum(['error', 'warning', 'note', 'none']);

const PropertyBag = z.record(z.string(), z.unknown());

const Message = z.looseObject({
  text: z.optional(z.string()),
  markdown: z.optional(z.string()),
  id: z.optional(z.string()),
  arguments: z.optional(z.array(z.string())),
});

const ReportingDescriptor = z.looseObject({
  id: z.string(),
  defaultConfiguration: z.optional(z.looseObject({ level: z.optional(SarifLevelSchema) })),
  properties: z.optional(PropertyBag),
  messageStrings: z.optional(z.record(z.string(), z.looseObject({ text: z.optional(z.string()) }))),
});

const ToolComponent = z.looseObject({
  name: z.string(),
  rules: z.optional(z.array(ReportingDescriptor)),
});

const ToolComponentReference = z.looseObject({
  index: z.optional(z.number().check(z.int())),
  name: z.optional(z.string()),
});

const DescriptorReference = z.looseObject({
  id: z.optional(z.string()),
  index: z.optional(z.number().check(z.int())),
  toolComponent: z.optional(ToolComponentReference),
});

const ArtifactLocation = z.looseObject({
  uri: z.optional(z.string()),
  index: z.optional(z.number().check(z.int())),
});

const Location = z.looseObject({
  physicalLocation: z.optional(
    z.looseObject({
      artifactLocation: z.optional(ArtifactLocation),
      region: z.optional(z.looseObject({ startLine: z.optional(z.number().check(z.int())) })),
    }),
  ),
});

const Result = z.looseObject({
  ruleId: z.optional(z.string()),
  ruleIndex: z.optional(z.number().check(z.int())),
  rule: z.optional(DescriptorReference),
  kind: z.optional(z.enum(['notApplicable', 'pass', 'fail', 'review', 'open', 'informational'])),
  level: z.optional(SarifLevelSchema),
  message: Message,
  locations: z.optional(z.array(Location)),
  properties: z.optional(PropertyBag),
  suppressions: z.optional(
    z.array(z.looseObject({ status: z.optional(z.enum(['accepted', 'underReview', 'rejected'])) })),
  ),
  baselineState: z.optional(z.enum(['new', 'unchanged', 'updated', 'absent'])),
});

const Invocation = z.looseObject({
  executionSuccessful: z.optional(z.boolean()),
  ruleConfigurationOverrides: z.optional(
    z.array(
      z.looseObject({
        descriptor: DescriptorReference,
        configuration: z.looseObject({ level: z.optional(SarifLevelSchema) }),
      }),
    ),
  ),
});

const Run = z.looseObject({
  tool: z.looseObject({ driver: ToolComponent, extensions: z.optional(z.array(ToolComponent)) }),
  results: z.optional(z.nullable(z.array(Result))),
  artifacts: z.optional(z.array(z.looseObject({ location: z.optional(ArtifactLocation) }))),
  invocations: z.optional(z.array(Invocation)),
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
