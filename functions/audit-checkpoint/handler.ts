import { ScheduledEventSchema } from '../../events';
import { awsCheckpointDeps } from '../../shared/audit/checkpoint-wiring';
import { writeCheckpoint } from '../../shared/audit/checkpoints';
import { eventHandler } from '../../shared/lambda/event-handler';
import { observability } from '../../shared/observability';

const o11y = observability();
const deps = awsCheckpointDeps();

/** Scheduled: signs every audit chain's head with KMS and stores the checkpoint under Object Lock. */
export const handler = eventHandler(o11y, ScheduledEventSchema, async () => {
  const { key, checkpoint } = await writeCheckpoint(
    deps.reader,
    deps.signer,
    deps.store,
    new Date(),
    deps.everyMinutes,
  );
  o11y.logger.info('audit checkpoint written', { key, chains: checkpoint.chains.length });
  return { key, chains: checkpoint.chains.length };
});
