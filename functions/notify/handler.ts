import { observedHandler } from '../../shared/lambda/handler';
import { notify } from '../../shared/notify/notify';
import { awsNotifyDeps } from '../../shared/notify/wiring';
import { observability } from '../../shared/observability';

const o11y = observability();
const deps = awsNotifyDeps(o11y);

/**
 * The notifier: one run event from the bus (succeeded, failed, waiting for approval, rolled back)
 * → one message per configured target, each sent once however often the event comes.
 */
export const handler = observedHandler(o11y, async (event: unknown) => notify(deps, event));
