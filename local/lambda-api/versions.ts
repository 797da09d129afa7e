import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { extractZip, folderDigest, sha256Base64 } from './code';
import type { AliasRecord, ServiceSpec, VersionRecord } from './types';

interface FunctionState {
  /** `$LATEST`: the code UpdateFunctionCode last set. */
  latest: VersionRecord;
  versions: VersionRecord[];
  aliases: Record<string, AliasRecord>;
  revisionId: string;
}

export type AliasListener = (functionName: string, alias: AliasRecord) => void;

/** What UpdateAlias may change. */
export interface AliasUpdate {
  readonly functionVersion?: string;
  readonly additionalVersionWeights?: Readonly<Record<string, number>>;
  readonly description?: string;
}

/**
 * The versions and aliases of the service functions, kept in `<dir>/state.json` so a restart
 * keeps them. Version 1 is the template's asset folder; each package published after it is
 * extracted once under `<dir>/<function>/code/<sha>/`, which every version of that code shares.
 */
export class VersionStore {
  private readonly state: Record<string, FunctionState>;
  private readonly listeners = new Set<AliasListener>();
  private readonly file: string;

  constructor(
    readonly services: readonly ServiceSpec[],
    private readonly dir: string,
  ) {
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, 'state.json');
    const saved = existsSync(this.file)
      ? (JSON.parse(readFileSync(this.file, 'utf8')) as { functions?: Record<string, FunctionState> }).functions
      : undefined;
    this.state = {};
    for (const spec of services)
      this.state[spec.name] = withTemplateAliases(saved?.[spec.name] ?? initialState(spec), spec);
    this.save();
  }

  spec(name: string): ServiceSpec | undefined {
    return this.services.find((s) => s.name === name);
  }

  versions(fn: string): readonly VersionRecord[] {
    return this.fn(fn).versions;
  }

  /** A published version, or `$LATEST`. */
  version(fn: string, version: string): VersionRecord | undefined {
    const state = this.fn(fn);
    return version === '$LATEST' ? state.latest : state.versions.find((v) => v.version === version);
  }

  aliases(fn: string): readonly AliasRecord[] {
    return Object.values(this.fn(fn).aliases);
  }

  alias(fn: string, name: string): AliasRecord | undefined {
    return this.fn(fn).aliases[name];
  }

  revisionId(fn: string): string {
    return this.fn(fn).revisionId;
  }

  /** The folder a version's code is in. */
  codeDir(fn: string, version: VersionRecord): string {
    return version.codeDir ?? (this.spec(fn)?.codeDir as string);
  }

  /** UpdateFunctionCode: `$LATEST` becomes this ZIP package. */
  updateCode(fn: string, zip: Buffer): VersionRecord {
    const state = this.fn(fn);
    const codeSha256 = sha256Base64(zip);
    const codeDir = join(this.dir, fn, 'code', Buffer.from(codeSha256, 'base64').toString('hex').slice(0, 24));
    if (!existsSync(codeDir)) extractZip(zip, codeDir);
    state.latest = { ...state.latest, codeSha256, codeSize: zip.length, codeDir, lastModified: lambdaTime() };
    state.revisionId = randomUUID();
    this.save();
    return state.latest;
  }

  /**
   * PublishVersion: a new version of `$LATEST`, unless its code is the latest version's already,
   * in which case that version is returned, as Lambda does.
   */
  publish(fn: string, description = ''): VersionRecord {
    const state = this.fn(fn);
    const last = state.versions.at(-1);
    if (last !== undefined && last.codeSha256 === state.latest.codeSha256) return last;
    const next = String(Math.max(0, ...state.versions.map((v) => Number(v.version))) + 1);
    const published: VersionRecord = { ...state.latest, version: next, description, lastModified: lambdaTime() };
    state.versions.push(published);
    this.save();
    return published;
  }

  updateAlias(fn: string, name: string, update: AliasUpdate): AliasRecord {
    const state = this.fn(fn);
    const current = state.aliases[name];
    if (current === undefined) throw new Error(`no alias ${name} of ${fn}`);
    const next: AliasRecord = {
      ...current,
      ...(update.functionVersion === undefined ? {} : { functionVersion: update.functionVersion }),
      ...(update.additionalVersionWeights === undefined
        ? {}
        : { additionalVersionWeights: update.additionalVersionWeights }),
      ...(update.description === undefined ? {} : { description: update.description }),
      revisionId: randomUUID(),
    };
    state.aliases[name] = next;
    // Listeners (the alias's proxy) first: a rollback must not wait for the disk.
    for (const listener of this.listeners) listener(fn, next);
    this.save();
    return next;
  }

  /** Calls `listener` after every alias change; returns the function that stops it. */
  onAliasChange(listener: AliasListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  private fn(name: string): FunctionState {
    const state = this.state[name];
    if (state === undefined) throw new Error(`${name} is not a service function`);
    return state;
  }

  private save(): void {
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, `${JSON.stringify({ functions: this.state }, null, 2)}\n`);
    renameSync(tmp, this.file);
  }
}

/** A function as the template deploys it: `$LATEST` and version 1 are the asset; aliases at their template versions. */
function initialState(spec: ServiceSpec): FunctionState {
  const asset: VersionRecord = {
    version: '$LATEST',
    ...folderDigest(spec.codeDir),
    lastModified: lambdaTime(),
    description: '',
  };
  const aliases = Object.fromEntries(
    spec.aliases.map((a) => [
      a.name,
      {
        name: a.name,
        functionVersion: a.version,
        additionalVersionWeights: {},
        description: '',
        revisionId: randomUUID(),
      },
    ]),
  );
  return { latest: asset, versions: [{ ...asset, version: '1' }], aliases, revisionId: randomUUID() };
}

/** A saved function with any alias the template has gained since, at its template version. */
function withTemplateAliases(state: FunctionState, spec: ServiceSpec): FunctionState {
  const missing = spec.aliases.filter((a) => state.aliases[a.name] === undefined);
  if (missing.length === 0) return state;
  const aliases = { ...state.aliases, ...initialState({ ...spec, aliases: missing }).aliases };
  return { ...state, aliases };
}

/** Lambda's LastModified format: `2024-05-01T12:00:00.000+0000`. */
function lambdaTime(): string {
  return new Date().toISOString().replace('Z', '+0000');
}
