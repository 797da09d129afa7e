/**
 * How every Gantry function is bundled: one set of esbuild options that the CDK construct
 * (`GantryFunction`) hands to `NodejsFunction` and that `npm run bench -- bundles` builds with,
 * so the benchmark measures the bytes Lambda loads. CDK-free: the benchmark imports it.
 */
export const LAMBDA_BUNDLE = {
  format: 'esm',
  /** The Lambda runtime the construct deploys to (Runtime.NODEJS_24_X). */
  target: 'node24',
  minify: true,
  sourceMap: true,
  /** ES module builds first: they tree-shake. */
  mainFields: ['module', 'main'],
  /** Some dependencies still call require(); give the ES module bundle one. */
  banner: "import{createRequire}from'module';const require=createRequire(import.meta.url);",
  /** The Node.js 18+ runtimes carry the AWS SDK v3 (NodejsFunction's default for them). */
  external: ['@aws-sdk/*'],
} as const;
