import { isAbsolute, join, posix } from 'node:path';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { type IRole, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, type CfnFunction, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { LAMBDA_BUNDLE } from '../bundling';
import { PROJECT_ROOT } from '../paths';
import { FUNCTION_METADATA_KEY } from './function-metadata';

export { FUNCTION_METADATA_KEY };

const OUTPUT_FORMAT = { cjs: OutputFormat.CJS, esm: OutputFormat.ESM } as const;

export interface GantryFunctionProps {
  /** The function's folder under `functions/`, also its Powertools service name. */
  readonly name: string;
  readonly description: string;
  /** @default {} */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default Duration.seconds(10) */
  readonly timeout?: Duration;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** A fixed function name, for functions others name (a CodeDeploy hook). @default generated */
  readonly functionName?: string;
  /** Files (paths under the project root) copied into the bundle at the same path, for a function that serves them. @default none */
  readonly files?: readonly string[];
}

/**
 * A Gantry Lambda function: `functions/<name>/handler.ts` bundled with the local esbuild, on
 * the latest Node.js runtime for ARM64, traced by Lambda with X-Ray (active tracing: each
 * invocation and its initialization; no X-Ray SDK in the bundle), logging to its own log group
 * through a role that may write to that log group and nothing else until granted more.
 */
export class GantryFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: IRole;

  constructor(scope: Construct, id: string, props: GantryFunctionProps) {
    super(scope, id);
    const logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Gantry ${props.name} function`,
    });
    logGroup.grantWrite(role);
    this.role = role;
    this.function = new NodejsFunction(this, 'Function', {
      entry: join(PROJECT_ROOT, 'functions', props.name, 'handler.ts'),
      handler: 'handler',
      ...(props.functionName ? { functionName: props.functionName } : {}),
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: Tracing.ACTIVE,
      role,
      logGroup,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      environment: {
        POWERTOOLS_SERVICE_NAME: props.name,
        POWERTOOLS_METRICS_NAMESPACE: 'Gantry',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        format: OUTPUT_FORMAT[LAMBDA_BUNDLE.format],
        target: LAMBDA_BUNDLE.target,
        minify: LAMBDA_BUNDLE.minify,
        sourceMap: LAMBDA_BUNDLE.sourceMap,
        sourcesContent: LAMBDA_BUNDLE.sourcesContent,
        mainFields: [...LAMBDA_BUNDLE.mainFields],
        define: { ...LAMBDA_BUNDLE.define },
        externalModules: [...LAMBDA_BUNDLE.external],
        forceDockerBundling: false,
        commandHooks: afterBundling(props.files ?? []),
      },
    });
    (this.function.node.defaultChild as CfnFunction).addMetadata(FUNCTION_METADATA_KEY, props.name);
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray PutTraceSegments and PutTelemetryRecords do not support resource-level permissions.',
    });
  }
}

/**
 * esbuild's output plus `files`, each at its path under the project root, and the lazy packages
 * the bundle imports, each built beside it (infra/lazy-modules.mjs).
 */
function afterBundling(files: readonly string[]) {
  for (const file of files)
    if (isAbsolute(file) || file.split(/[\\/]/).includes('..'))
      throw new Error(`${file}: name a file under the project root`);
  const bundle = LAMBDA_BUNDLE.format === 'cjs' ? 'index.js' : 'index.mjs';
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (inputDir: string, outputDir: string) => [
      ...files.map((f) => `mkdir -p "${outputDir}/${posix.dirname(f)}" && cp "${inputDir}/${f}" "${outputDir}/${f}"`),
      `node "${inputDir}/infra/lazy-modules.mjs" "${outputDir}/${bundle}" ${LAMBDA_BUNDLE.target}`,
    ],
  };
}
