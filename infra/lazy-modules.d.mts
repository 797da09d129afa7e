/** The packages kept out of every function's bundle and shipped beside it (see lazy-modules.mjs). */
export declare const LAZY_MODULES: readonly string[];
/** The lazy packages a built function's bundle imports. */
export declare function lazyImportsOf(bundle: string): string[];
/** Builds each lazy package `bundle` imports into `node_modules/<name>/` beside it; the files written. */
export declare function shipLazyModules(bundle: string, target: string): Promise<string[]>;
