import { readdirSync, utimesSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Dates `root` and every folder under it a minute back, as a project's folders are when nothing
 * has been added to them lately: a build cache records a folder changed moments before a build
 * began as changed (it cannot tell that from a change during the build), so that it builds again.
 */
export function settleFolders(root: string): void {
  const past = new Date(Date.now() - 60_000);
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) visit(join(dir, entry.name));
    }
    utimesSync(dir, past, past);
  };
  visit(root);
}
