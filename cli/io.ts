import { readFile } from 'node:fs/promises';
import { printableJson } from '../shared/text/printable';
import { UsageError } from './errors';

/** Reads a file the user named, or stdin for `-`; a missing file is a usage error, not a crash. */
export async function readInput(path: string): Promise<Buffer> {
  if (path === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `no such file: ${path}` : `cannot read ${path}: ${code ?? 'error'}`);
  }
}

/** Collects a repeatable option into an array. */
export function collect(value: string, previous: readonly string[] = []): string[] {
  return [...previous, value];
}

/** Parses repeated `--header "Name: value"` options. */
export function parseHeaderOptions(values: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const raw of values) {
    const colon = raw.indexOf(':');
    if (colon <= 0) throw new UsageError(`--header must look like "Name: value", got "${raw}"`);
    headers[raw.slice(0, colon).trim()] = raw.slice(colon + 1).trim();
  }
  return headers;
}

/**
 * `--json` output: what senders wrote (commit messages, branch names) still parses to what was
 * stored, but a bidi override, a C1 control or a zero-width character reaches the terminal as
 * its `\\uXXXX` escape, not as something that acts or hides.
 */
export function printJson(value: unknown): void {
  process.stdout.write(`${printableJson(value, 2)}\n`);
}
