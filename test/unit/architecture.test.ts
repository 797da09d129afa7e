import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/**
 * The folder rules of docs/architecture.md, checked on the source: the top-level folders of
 * `shared/` depend one way (no cycle between them), and nothing the product deploys imports the
 * local runtime.
 */
const root = resolve(import.meta.dirname, '../..');

/** An import from one source file (relative to the repository) to another. */
interface ImportEdge {
  from: string;
  to: string;
}

function sourceFiles(folder: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(folder)) {
    const path = join(folder, name);
    if (name === 'node_modules') continue;
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|tsx|mts)$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** Relative imports (static, dynamic, re-exports, type-only alike) of the files under `folders`. */
function importsOf(folders: readonly string[], readText = readSource): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const { file, text } of sourcesUnder(folders, readText)) {
    for (const { fileName } of ts.preProcessFile(text, true, true).importedFiles) {
      if (!fileName.startsWith('.')) continue;
      edges.push({ from: relative(root, file), to: relative(root, resolve(dirname(file), fileName)) });
    }
  }
  return edges;
}

function readSource(path: string): string {
  return readFileSync(path, 'utf8');
}

/** Each source file under `folders` (relative to the repository) with its text. */
function* sourcesUnder(folders: readonly string[], readText: (path: string) => string) {
  for (const folder of folders) {
    for (const file of sourceFiles(join(root, folder))) yield { file, text: readText(file) };
  }
}

/** `shared/pipelines/start.ts` → `pipelines`; `shared/observability.ts` → `observability`. */
function sharedFolderOf(path: string): string | undefined {
  const parts = path.split('/');
  if (parts[0] !== 'shared' || parts.length < 2) return undefined;
  return (parts[1] ?? '').replace(/\.(ts|tsx|mts)$/, '');
}

/**
 * Cycles between the folders of `shared/`: each strongly connected component of more than one
 * folder, with the file-level imports that join it, so a failure says which lines to move.
 */
function folderCycles(edges: readonly ImportEdge[]): string[][] {
  const graph = new Map<string, Map<string, string[]>>();
  for (const { from, to } of edges) {
    const a = sharedFolderOf(from);
    const b = sharedFolderOf(to);
    if (!a || !b || a === b) continue;
    const targets = graph.get(a) ?? new Map<string, string[]>();
    targets.set(b, [...(targets.get(b) ?? []), `${from} → ${to}`]);
    graph.set(a, targets);
    if (!graph.has(b)) graph.set(b, new Map());
  }
  return stronglyConnected(graph).map((component) =>
    component.flatMap((a) =>
      [...(graph.get(a) ?? new Map<string, string[]>())]
        .filter(([b]) => component.includes(b))
        .flatMap(([, why]) => why),
    ),
  );
}

/** Tarjan's algorithm; components of one node are not cycles (a folder may import itself). */
function stronglyConnected(graph: Map<string, Map<string, string[]>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, index.size);
    low.set(node, index.get(node) ?? 0);
    stack.push(node);
    onStack.add(node);
    for (const next of (graph.get(node) ?? new Map()).keys()) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node) ?? 0, low.get(next) ?? 0));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node) ?? 0, index.get(next) ?? 0));
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let top: string | undefined;
    do {
      top = stack.pop();
      if (top === undefined) break;
      onStack.delete(top);
      component.push(top);
    } while (top !== node);
    if (component.length > 1) components.push(component.sort());
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
  return components;
}

/** Imports of `local/` from the folders that are deployed (or generate what is deployed). */
function importsOfLocal(edges: readonly ImportEdge[]): string[] {
  return edges.filter(({ to }) => to === 'local' || to.startsWith('local/')).map(({ from, to }) => `${from} → ${to}`);
}

/**
 * Statements that run for their effect when a module loads (`process.on(...)`, `if (...)`, a bare
 * call) in the files of `folders`, as `file:line`. package.json says `"sideEffects": false`, so
 * esbuild drops a module's unused statements, and a module whose exports a function does not use;
 * an effect such a module needed at load would be dropped with them, silently. Declarations,
 * imports and exports only; a value's initializer must not be there for its effect.
 */
function loadTimeEffects(folders: readonly string[], readText = readSource): string[] {
  const found: string[] = [];
  for (const { file, text } of sourcesUnder(folders, readText)) {
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    for (const statement of source.statements) {
      if (
        ts.isImportDeclaration(statement) ||
        ts.isImportEqualsDeclaration(statement) ||
        ts.isExportDeclaration(statement) ||
        ts.isExportAssignment(statement) ||
        ts.isFunctionDeclaration(statement) ||
        ts.isClassDeclaration(statement) ||
        ts.isInterfaceDeclaration(statement) ||
        ts.isTypeAliasDeclaration(statement) ||
        ts.isEnumDeclaration(statement) ||
        ts.isModuleDeclaration(statement) ||
        ts.isVariableStatement(statement) ||
        ts.isEmptyStatement(statement)
      )
        continue;
      const line = source.getLineAndCharacterOfPosition(statement.getStart()).line + 1;
      found.push(`${relative(root, file)}:${line}`);
    }
  }
  return found;
}

/**
 * Imports of zod other than `zod/mini` (and its `zod/locales`) in the files of `folders`, as
 * `file: specifier`. The classic build is ~95 KB of every function's bundle and builds each schema's
 * methods per instance at load; one classic import anywhere a function reaches brings it all back.
 */
function classicZodImports(folders: readonly string[], readText = readSource): string[] {
  const found: string[] = [];
  for (const { file, text } of sourcesUnder(folders, readText)) {
    for (const { fileName } of ts.preProcessFile(text, true, true).importedFiles) {
      if (!/^zod(\/|$)/.test(fileName) || fileName === 'zod/mini' || fileName === 'zod/locales') continue;
      found.push(`${relative(root, file)}: ${fileName}`);
    }
  }
  return found;
}

describe('the folder rules', () => {
  it('finds no import cycle between the top-level folders of shared/', () => {
    expect(folderCycles(importsOf(['shared']))).toEqual([]);
  });

  it('finds no import of local/ from shared/, functions/, infra/ or events/', () => {
    expect(importsOfLocal(importsOf(['shared', 'functions', 'infra', 'events']))).toEqual([]);
  });

  it('finds nothing in shared/ or events/ that runs for its effect when the module loads (bundles drop it)', () => {
    expect(loadTimeEffects(['shared', 'events'])).toEqual([]);
  });

  it("imports zod only as zod/mini, in every folder of the product (one classic import brings its 95 KB back to each function's bundle)", () => {
    expect(classicZodImports(['shared', 'events', 'functions', 'infra', 'local', 'cli'])).toEqual([]);
  });
});

describe('classicZodImports', () => {
  it('reports the classic build however it is imported, and accepts zod/mini and its locales', () => {
    const text = [
      "import * as z from 'zod/mini';",
      "import { en } from 'zod/locales';",
      "import { z as classic } from 'zod';",
      "export type { ZodType } from 'zod/v4';",
      "const later = () => import('zod/v4/core');",
    ].join('\n');
    expect(classicZodImports(['shared/runs'], () => text).filter((f) => f.startsWith('shared/runs/model.ts'))).toEqual([
      'shared/runs/model.ts: zod',
      'shared/runs/model.ts: zod/v4',
      'shared/runs/model.ts: zod/v4/core',
    ]);
  });
});

describe('loadTimeEffects', () => {
  it('reports a call, a condition and a loop at the top of a module, and accepts declarations', () => {
    const text = [
      "import * as z from 'zod/mini';",
      'export const Schema = z.object({ a: z.string() });',
      'export function f() {}',
      'export type T = string;',
      "process.on('exit', () => undefined);",
      "if (process.env.X) console.log('x');",
      'for (const a of []) f();',
      "export * from './other';",
    ].join('\n');
    expect(loadTimeEffects(['shared/runs'], () => text).filter((f) => f.startsWith('shared/runs/model.ts'))).toEqual([
      'shared/runs/model.ts:5',
      'shared/runs/model.ts:6',
      'shared/runs/model.ts:7',
    ]);
  });
});

describe('folderCycles', () => {
  it('reports a cycle of three folders with the imports that close it', () => {
    const cycles = folderCycles([
      { from: 'shared/runs/store.ts', to: 'shared/deploy/release' },
      { from: 'shared/deploy/release.ts', to: 'shared/pipelines/approval' },
      { from: 'shared/pipelines/approval.ts', to: 'shared/runs/model' },
      { from: 'shared/pipelines/approval.ts', to: 'shared/audit/ledger' },
    ]);
    expect(cycles).toEqual([
      expect.arrayContaining([
        'shared/runs/store.ts → shared/deploy/release',
        'shared/deploy/release.ts → shared/pipelines/approval',
        'shared/pipelines/approval.ts → shared/runs/model',
      ]),
    ]);
    expect(cycles[0]).toHaveLength(3);
  });

  it('accepts imports that point one way and imports inside one folder', () => {
    expect(
      folderCycles([
        { from: 'shared/deploy/release.ts', to: 'shared/runs/store' },
        { from: 'shared/runs/store.ts', to: 'shared/runs/model' },
        { from: 'shared/runs/model.ts', to: 'shared/observability' },
      ]),
    ).toEqual([]);
  });

  it('reads type-only, dynamic and re-exported imports as edges', () => {
    const edges = importsOf(['shared/runs'], () => {
      return `import type { A } from '../deploy/a';\nexport * from '../pipelines/b';\nconst c = await import('../audit/c');\n`;
    });
    const targets = new Set(edges.map(({ to }) => to));
    expect(targets).toEqual(new Set(['shared/deploy/a', 'shared/pipelines/b', 'shared/audit/c']));
  });
});

describe('importsOfLocal', () => {
  it('reports an import of the local runtime from a function', () => {
    expect(
      importsOfLocal([
        { from: 'functions/webhook-receiver/handler.ts', to: 'local/runtime' },
        { from: 'functions/webhook-receiver/handler.ts', to: 'shared/webhooks/receive' },
        { from: 'shared/locality.ts', to: 'shared/local-ish' },
      ]),
    ).toEqual(['functions/webhook-receiver/handler.ts → local/runtime']);
  });
});
