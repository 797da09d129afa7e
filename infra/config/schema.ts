import { z } from 'zod';
import { ProviderSchema } from '../../events';

const Name = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,39}$/, 'use lower-case letters, digits and dashes, starting with a letter (max 40)');

/** A provider account or instance whose webhooks share one secret. */
export const ConnectionConfigSchema = z.strictObject({
  name: Name,
  provider: ProviderSchema,
  /** Secrets Manager name of the connection secret. @default gantry/connections/<name> */
  secretName: z.string().min(1).optional(),
});
export type ConnectionConfig = z.infer<typeof ConnectionConfigSchema>;

export const SourceConfigSchema = z.strictObject({
  provider: ProviderSchema,
  /** Full name as the provider spells it: owner/name, group/subgroup/name, PROJECT/slug, project/repository. */
  repository: z
    .string()
    .min(3)
    .regex(/^[^\s/]+(\/[^\s/]+)+$/, 'must look like owner/name'),
  connection: Name,
});

export const PipelineConfigSchema = z.strictObject({
  name: Name,
  source: SourceConfigSchema,
});
export type PipelineConfig = z.infer<typeof PipelineConfigSchema>;

/** `gantry.config.yaml`: what the CDK app and local mode both build from. */
export const GantryConfigSchema = z
  .strictObject({
    connections: z.array(ConnectionConfigSchema).min(1, 'declare at least one connection'),
    pipelines: z.array(PipelineConfigSchema).default([]),
  })
  .superRefine((config, ctx) => {
    uniqueNames(config.connections, ['connections'], ctx);
    uniqueNames(config.pipelines, ['pipelines'], ctx);
    const connections = new Map(config.connections.map((c) => [c.name, c]));
    config.pipelines.forEach((pipeline, i) => {
      const connection = connections.get(pipeline.source.connection);
      if (connection === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['pipelines', i, 'source', 'connection'],
          message: `no connection named "${pipeline.source.connection}" (known: ${[...connections.keys()].join(', ')})`,
        });
      } else if (connection.provider !== pipeline.source.provider) {
        ctx.addIssue({
          code: 'custom',
          path: ['pipelines', i, 'source', 'provider'],
          message: `is ${pipeline.source.provider} but connection "${connection.name}" is ${connection.provider}`,
        });
      }
    });
  });
export type GantryConfig = z.infer<typeof GantryConfigSchema>;

function uniqueNames(items: readonly { name: string }[], path: (string | number)[], ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    if (seen.has(item.name))
      ctx.addIssue({ code: 'custom', path: [...path, i, 'name'], message: `duplicate name "${item.name}"` });
    seen.add(item.name);
  });
}

/** The Secrets Manager name of a connection's secret. */
export function connectionSecretName(connection: ConnectionConfig): string {
  return connection.secretName ?? `gantry/connections/${connection.name}`;
}
