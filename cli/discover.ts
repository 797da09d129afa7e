import { type RuntimeInfo, readRuntimeInfo } from '../local/discovery';
import { UntrustedRuntimeError } from '../local/runtime-trust';
import { UsageError } from './errors';

/**
 * The local control plane running from `dataDir`, or undefined when none is.
 * @throws UsageError when a runtime.json is there that this user's local plane did not write.
 */
export function discoverLocalPlane(dataDir: string): RuntimeInfo | undefined {
  try {
    return readRuntimeInfo(dataDir);
  } catch (error) {
    if (error instanceof UntrustedRuntimeError) throw new UsageError(error.message, { cause: error });
    throw error;
  }
}
