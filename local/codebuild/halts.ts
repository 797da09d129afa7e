import type { PhaseContext, StatusType } from './types';

/** Why a build was ended before its phases ran out. */
export type HaltReason = 'STOPPED' | 'TIMED_OUT' | 'SHUTDOWN';

/** The status and phase context each halt leaves, in CodeBuild's words where CodeBuild has them. */
export const HALTS: Readonly<Record<HaltReason, { status: StatusType; context: PhaseContext; log: string }>> = {
  TIMED_OUT: {
    status: 'TIMED_OUT',
    context: { statusCode: 'BUILD_TIMED_OUT', message: 'Build has timed out.' },
    log: 'Build timed out',
  },
  STOPPED: {
    status: 'STOPPED',
    context: { statusCode: 'BUILD_STOPPED', message: 'Build was stopped.' },
    log: 'Build stopped',
  },
  SHUTDOWN: {
    status: 'FAILED',
    context: {
      statusCode: 'LOCAL_RUNTIME_STOPPED',
      message: 'The Gantry local runtime stopped while this build was running',
    },
    log: 'Local runtime stopping',
  },
};
