import { NotificationInputSchema } from '../../events';
import { eventHandler } from '../../shared/lambda/event-handler';
import { notify } from '../../shared/notify/notify';
import { awsNotifyDeps } from '../../shared/notify/wiring';
import { observability } from '../../shared/observability';

const o11y = observability();
const deps = awsNotifyDeps(o11y);

/**
 * The notifier: one run event from the bus (succeeded, failed, waiting for approval, rolled back)
 * → one message per configured target, each sent once however often the event comes.
 */
export const handler = eventHandler(o11y, NotificationInputSchema, (event) => notify(deps, event));
