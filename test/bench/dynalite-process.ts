/** Runs dynalite in its own process (as local mode's main thread is apart from its function workers). */
import { startDynalite } from '../../local/dynamodb/dynalite';

const running = await startDynalite();
process.stdout.write(`${running.endpoint}\n`);
process.on('SIGTERM', () => void running.close().then(() => process.exit(0)));
