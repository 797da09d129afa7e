import * as z from 'zod/mini';
import { ApproversSchema, ProviderSchema } from '../../events';
import {
  ConnectionConfigSchema,
  type GantryConfig,
  GantryConfigShapeSchema,
  type PipelineConfig,
  PipelineConfigSchema,
} from './schema';

/** The parts of a broken config that parse, as a config its cross-reference checks can run on. */
export interface Salvage {
  readonly config: GantryConfig;
  /** An issue's path in the salvaged config as a path in the file; null for a stand-in's. */
  originalPath(path: readonly PropertyKey[]): PropertyKey[] | null;
}

type Connection = GantryConfig['connections'][number];

/** Enough of a connection to resolve references to it when the rest is wrong: its name, and its provider if valid. */
const ConnectionNameSchema = z.looseObject({
  name: z.string(),
  provider: z.catch(z.optional(ProviderSchema), undefined),
});

/**
 * Keeps each connection and pipeline that parses alone, at its index in the file. Where a part
 * cannot be read, references to it are assumed to hold, so a broken part is reported once, for
 * itself, and never again as "no connection named …" or "no group named …" elsewhere.
 */
export function salvage(raw: unknown): Salvage {
  const file = isRecord(raw) ? raw : {};
  const pipelines = indexed(file.pipelines, (p) => PipelineConfigSchema.safeParse(p).data);
  const sources = pipelines.map(({ value }) => value.source);
  const connections = indexed(file.connections, (c) => connectionOf(c, sources));
  const lostConnection = !Array.isArray(file.connections) || connections.length < file.connections.length;
  const standIns: Connection[] = lostConnection
    ? sources
        .filter((s) => !connections.some((c) => c.value.name === s.connection))
        .map((s) => ({ name: s.connection, provider: s.provider }))
    : [];
  const config: GantryConfig = {
    connections: [...connections.map((c) => c.value), ...standIns],
    pipelines: pipelines.map((p) => p.value),
    approvers: approversOf(
      file.approvers,
      pipelines.map((p) => p.value),
    ),
    audit: GantryConfigShapeSchema.shape.audit.parse(undefined),
  };
  const origins = { connections: connections.map((c) => c.index), pipelines: pipelines.map((p) => p.index) };
  return {
    config,
    originalPath(path) {
      const [section, index, ...rest] = path;
      if (section !== 'connections' && section !== 'pipelines') return [...path];
      const original = typeof index === 'number' ? origins[section][index] : undefined;
      return original === undefined ? null : [section, original, ...rest];
    },
  };
}

/**
 * A connection whole when it parses; else its name, with its provider when that reads (else the
 * provider of a pipeline naming it, so only the connection's own problem is reported).
 */
function connectionOf(raw: unknown, sources: readonly PipelineConfig['source'][]): Connection | undefined {
  const full = ConnectionConfigSchema.safeParse(raw);
  if (full.success) return full.data;
  const named = ConnectionNameSchema.safeParse(raw);
  if (!named.success) return undefined;
  const { name, provider } = named.data;
  const assumed = provider ?? sources.find((s) => s.connection === name)?.provider ?? 'github';
  return { name, provider: assumed };
}

/** The approvers when they parse; else every group the pipelines name, so none is reported missing. */
function approversOf(raw: unknown, pipelines: readonly PipelineConfig[]): GantryConfig['approvers'] {
  const parsed = ApproversSchema.safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  const named = pipelines.flatMap((p) => [
    ...p.operators,
    ...p.environments.flatMap((e) => [...e.approval.approverGroups, ...(e.operators ?? [])]),
  ]);
  return { groups: Object.fromEntries(named.map((g) => [g, []])), identities: {}, identityCenterRoles: [] };
}

function indexed<T>(raw: unknown, parse: (item: unknown) => T | undefined): { value: T; index: number }[] {
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((item: unknown, index) => {
    const value = parse(item);
    return value === undefined ? [] : [{ value, index }];
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
