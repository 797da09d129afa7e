import { LAZY_MODULES } from './lazy-modules.mjs';

/**
 * How every Gantry function is bundled: one set of esbuild options that the CDK construct
 * (`GantryFunction`) hands to `NodejsFunction` and that `npm run bench -- bundles` builds with,
 * so the benchmark measures the bytes Lambda loads. CDK-free: the benchmark imports it.
 */
export const LAMBDA_BUNDLE = {
  /**
   * CommonJS: the AWS SDK (external, CommonJS) is then loaded with require(). An ES module
   * bundle imports it through the ES module loader, which parses each SDK file twice more (to
   * detect its format and to find its named exports): the receiver's SDK clients loaded in
   * 326 ms that way against 139 ms with require(), medians measured side by side.
   */
  format: 'cjs',
  /** The Lambda runtime the construct deploys to (Runtime.NODEJS_24_X). */
  target: 'node24',
  minify: true,
  sourceMap: true,
  /**
   * The map names files and lines, without a copy of every source: 0.5 MB instead of 1.6 MB
   * for the receiver, which `--enable-source-maps` reads at each cold start (~35 ms less, measured).
   */
  sourcesContent: false,
  /** ES module builds first: they tree-shake. */
  mainFields: ['module', 'main'],
  /** What our ES module sources read from `import.meta`, as CommonJS says it. */
  define: { 'import.meta.dirname': '__dirname' },
  /**
   * The Node.js 18+ runtimes carry the AWS SDK v3 (NodejsFunction's default for them). The lazy
   * packages (infra/lazy-modules.mjs) ship beside the bundle, built by the bundling hook.
   */
  external: ['@aws-sdk/*', ...LAZY_MODULES],
} as const;
