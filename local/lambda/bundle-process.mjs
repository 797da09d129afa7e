// The process `handlerModules` bundles in: one esbuild run of every handler. esbuild asks the
// source recorder (a plugin) for each source file it loads, and a plugin's answers come from the
// event loop of the process that started the build. On a first start local mode's main thread is busy synthesizing the CDK app (loading
// aws-cdk-lib alone blocks it for seconds), so the build runs here, where its answers never
// wait. A process rather than a worker thread: esbuild's own child would outlive a thread's
// event loop unreaped; this process's exit hands it to the system, which reaps it.
import { sourceRecorder } from '../build-cache.mjs';

// An owner that went away (killed mid-build) wants no answer: end here rather than finish the
// build for no one and fail to send it.
process.once('disconnect', () => process.exit(0));

process.once('message', async ({ projectRoot, options }) => {
  let answer;
  try {
    const { build } = await import('esbuild');
    const sources = sourceRecorder(projectRoot);
    const { metafile } = await build({ ...options, plugins: [sources.plugin], metafile: true, logLevel: 'silent' });
    answer = { ok: true, metafile, read: sources.read, folders: sources.folders };
  } catch (error) {
    answer = { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
  if (process.connected) process.send(answer, () => process.disconnect());
});
