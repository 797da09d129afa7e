import * as z from 'zod';
import { writeCheckpoint } from '../../shared/audit/checkpoints';
import { awsCheckpointDeps } from '../../shared/audit/wiring';
import { stepHandler } from '../../shared/lambda/step-handler';
import { observability } from '../../shared/observability';

const o11y = observability();
const deps = awsCheckpointDeps(o11y);

/** The scheduled event's time stamps the checkpoint; any other input is ignored. */
const ScheduledEventSchema = z.looseObject({ time: z.string().optional() });

/** Signs every audit chain's head with KMS and stores the checkpoint under Object Lock. */
export const handler = stepHandler(o11y, ScheduledEventSchema, async () => {
  const { key, checkpoint } = await writeCheckpoint(deps.reader, deps.signer, deps.store);
  o11y.logger.info('audit checkpoint written', { key, chains: checkpoint.chains.length });
  return { key, chains: checkpoint.chains.length };
});
