import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isBuildGroup, signalGroup } from './process-group';
import type { BuildRecord } from './types';

/** The phase context a build interrupted by a restart of local mode ends with. */
export const RESTARTED = {
  statusCode: 'LOCAL_RUNTIME_RESTARTED',
  message: 'The Gantry local runtime restarted while this build was running; the build was not resumed',
} as const;

/**
 * Build records, one JSON file per build under `<builds>/<id>/build.json`, rewritten whole
 * (temporary file, then rename) at every transition, so a crash leaves the last transition.
 */
export class BuildRecords {
  private readonly records = new Map<string, BuildRecord>();

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  /**
   * Loads every record. A build still IN_PROGRESS was running when the runtime died: it
   * becomes FAILED with a LOCAL_RUNTIME_RESTARTED context, and what is left of its process
   * group is killed (after checking the group is still that build's), and its shell state (which
   * holds resolved secrets) removed.
   */
  load(now: number): void {
    for (const entry of readdirSync(this.dir, { withFileTypes: true })) {
      const file = join(this.dir, entry.name, 'build.json');
      if (!entry.isDirectory() || !existsSync(file)) continue;
      const record = parseRecord(readFileSync(file, 'utf8'));
      if (record === undefined) continue;
      if (record.buildStatus === 'IN_PROGRESS') this.interrupted(record, now);
      this.records.set(record.id, record);
    }
  }

  buildDir(id: string): string {
    return join(this.dir, id);
  }

  save(record: BuildRecord): void {
    this.records.set(record.id, record);
    const dir = this.buildDir(record.id);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = join(dir, 'build.json');
    writeFileSync(`${file}.tmp`, JSON.stringify(record, undefined, 2), { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
  }

  get(id: string): BuildRecord | undefined {
    return this.records.get(id);
  }

  /** A project's builds, newest first. */
  forProject(projectName: string): BuildRecord[] {
    return [...this.records.values()]
      .filter((r) => r.projectName === projectName)
      .sort((a, b) => b.buildNumber - a.buildNumber);
  }

  nextBuildNumber(projectName: string): number {
    return (this.forProject(projectName)[0]?.buildNumber ?? 0) + 1;
  }

  private interrupted(record: BuildRecord, now: number): void {
    if (record.processGroup !== undefined && isBuildGroup(record.processGroup, record.id)) {
      signalGroup(record.processGroup, 'SIGKILL');
    }
    rmSync(join(this.buildDir(record.id), 'shell'), { recursive: true, force: true });
    const open = record.phases.find((p) => p.phaseStatus === undefined || p.phaseStatus === 'IN_PROGRESS');
    if (open !== undefined) {
      open.phaseStatus = 'FAILED';
      open.endTime = now;
      open.contexts = [...open.contexts, RESTARTED];
    } else {
      record.phases.push({
        phaseType: 'FINALIZING',
        phaseStatus: 'FAILED',
        startTime: now,
        endTime: now,
        contexts: [RESTARTED],
      });
    }
    record.phases.push({ phaseType: 'COMPLETED', startTime: now, contexts: [] });
    record.currentPhase = 'COMPLETED';
    record.buildStatus = 'FAILED';
    record.endTime = now;
    delete record.processGroup;
    this.save(record);
  }
}

function parseRecord(text: string): BuildRecord | undefined {
  try {
    const record = JSON.parse(text) as Partial<BuildRecord>;
    return typeof record.id === 'string' && Array.isArray(record.phases) ? (record as BuildRecord) : undefined;
  } catch {
    return undefined;
  }
}
