import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../infra/paths';

/** Bumped when what a marker means changes. */
const FORMAT = 'gantry-asl-valid-v1';
/** Markers kept: one per engine definition at one state of the installed packages. */
const KEEP = 64;
/** Whose versions decide what asl-validator answers (aws-local-stepfunctions pins it). */
const LOCK_FILE = join(PROJECT_ROOT, 'node_modules', '.package-lock.json');

/**
 * Engine definitions that asl-validator accepted before, remembered as empty marker files named by
 * a digest of the definition and the installed packages. Validating the pipeline's machine costs
 * about a second (several under Jest), and its verdict depends on nothing else, so a definition
 * accepted once need not be validated again until it or the packages change. Only acceptances
 * are remembered: a refused definition is validated, and refused, every time.
 */
export class ValidatedDefinitions {
  private readonly seen = new Set<string>();
  private packages: string | undefined;

  /** @param dir where markers live; false remembers within this process only */
  constructor(private readonly dir: string | false) {}

  has(definition: string): boolean {
    const key = this.keyOf(definition);
    if (this.seen.has(key)) return true;
    if (this.dir === false || !existsSync(join(this.dir, key))) return false;
    this.seen.add(key);
    return true;
  }

  add(definition: string): void {
    const key = this.keyOf(definition);
    this.seen.add(key);
    if (this.dir === false) return;
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      writeFileSync(join(this.dir, key), '', { mode: 0o600 });
      this.prune(this.dir);
    } catch {
      // A cache that cannot be written (read-only install) costs time, not correctness.
    }
  }

  private keyOf(definition: string): string {
    this.packages ??= existsSync(LOCK_FILE) ? createHash('sha256').update(readFileSync(LOCK_FILE)).digest('hex') : '';
    return createHash('sha256').update(`${FORMAT}\0${this.packages}\0${definition}`).digest('hex').slice(0, 32);
  }

  private prune(dir: string): void {
    const markers = readdirSync(dir)
      .map((name) => ({ path: join(dir, name), at: statSync(join(dir, name)).mtimeMs }))
      .sort((a, b) => b.at - a.at);
    for (const old of markers.slice(KEEP)) rmSync(old.path, { force: true });
  }
}
