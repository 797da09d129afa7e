import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const POLL_MS = 25;
/** After SIGKILL, how long to wait for the kernel to finish the group before moving on. */
const AFTER_KILL_MS = 2_000;

/**
 * The live processes in process group `pgid`. On Linux this reads /proc, so zombies (dead,
 * waiting for a parent that may never reap them) do not count; elsewhere it cannot list them.
 */
function liveMembers(pgid: number): string[] | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  return entries.filter((name) => /^\d+$/.test(name) && liveMember(name, pgid));
}

/** Whether any live process remains in process group `pgid`. */
export function groupAlive(pgid: number): boolean {
  const members = liveMembers(pgid);
  return members === undefined ? signalGroup(pgid, 0) : members.length > 0;
}

function liveMember(pid: string, pgid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X';
}

/** Sends `signal` to every process in the group; false when the group is gone. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

async function waitGone(pgid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (groupAlive(pgid)) {
    if (Date.now() >= deadline) return false;
    await sleep(POLL_MS);
  }
  return true;
}

/**
 * Ends a build's whole process tree as CodeBuild ends its container: SIGTERM to the group, then
 * SIGKILL to whatever is still there after `graceMs`. Resolves once no live member remains (or
 * the kernel has had a moment after SIGKILL).
 */
export async function killGroup(pgid: number, graceMs: number): Promise<void> {
  if (!groupAlive(pgid)) return;
  signalGroup(pgid, 'SIGTERM');
  if (await waitGone(pgid, graceMs)) return;
  signalGroup(pgid, 'SIGKILL');
  await waitGone(pgid, AFTER_KILL_MS);
}

/**
 * Whether process group `pgid` is still one a build started: one of its live members was
 * started with `CODEBUILD_BUILD_ID=<buildId>` in its environment. A restarted runtime checks
 * this before killing a group it recorded, so a reused process id is never touched.
 */
export function isBuildGroup(pgid: number, buildId: string): boolean {
  const needle = `\0CODEBUILD_BUILD_ID=${buildId}\0`;
  return (liveMembers(pgid) ?? []).some((pid) => {
    try {
      return `\0${readFileSync(`/proc/${pid}/environ`, 'utf8')}`.includes(needle);
    } catch {
      return false;
    }
  });
}
