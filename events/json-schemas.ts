import * as z from 'zod/mini';
import { AuditEventSchema, AuditRecordInputSchema } from './audit-record';
import {
  ApprovalRequestedSchema,
  DeploymentRolledBackSchema,
  RunFailedSchema,
  RunSucceededSchema,
} from './notifications';
import { PipelineStateSchema } from './pipeline-state';
import { DsseEnvelopeSchema, ProvenanceStatementSchema } from './provenance';
import { RunPlanSchema } from './run-plan';
import { SecurityRecordSchema } from './security-record';
import { SourceEventSchema } from './source-event';

/** Every event schema published as JSON Schema, by file name under `events/schemas/`. */
export const EVENT_JSON_SCHEMAS: Readonly<Record<string, z.ZodMiniType>> = {
  'source-event.v1.json': SourceEventSchema,
  'audit-record-input.json': AuditRecordInputSchema,
  'audit-event.v1.json': AuditEventSchema,
  'provenance-statement.v1.json': ProvenanceStatementSchema,
  'dsse-envelope.json': DsseEnvelopeSchema,
  'run-plan.json': RunPlanSchema,
  'pipeline-state.json': PipelineStateSchema,
  'run-succeeded.v1.json': RunSucceededSchema,
  'run-failed.v1.json': RunFailedSchema,
  'approval-requested.v1.json': ApprovalRequestedSchema,
  'deployment-rolled-back.v1.json': DeploymentRolledBackSchema,
  'security-record.v1.json': SecurityRecordSchema,
};

/** The JSON Schema text for a zod schema, as committed (stable key order, trailing newline). */
export function jsonSchemaText(schema: z.ZodMiniType, id: string): string {
  return `${JSON.stringify({ $id: id, ...z.toJSONSchema(schema, { io: 'input' }) }, null, 2)}\n`;
}
