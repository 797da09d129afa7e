/**
 * A deploy target of the template: a Lambda function whose code is a service folder of the
 * project (resource metadata `gantry:service`), not a GantryFunction handler. Local mode serves it
 * as Lambda's versions and aliases, each version in a process of its own.
 */
export interface ServiceSpec {
  readonly name: string;
  readonly arn: string;
  /** The service's folder as the metadata gives it, relative to the project root. */
  readonly folder: string;
  /** The absolute folder version 1 (the template's asset) runs from. */
  readonly codeDir: string;
  /** `src/lambda` of `Handler: src/lambda.handler`: a module path under the code folder, without extension. */
  readonly handlerModule: string;
  readonly handlerExport: string;
  readonly runtime: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /** The template's aliases of the function, each with the version it starts at. */
  readonly aliases: readonly { readonly name: string; readonly version: string }[];
}

/** One published version of a service function (or `$LATEST`). */
export interface VersionRecord {
  readonly version: string;
  /** Base64 SHA-256 of the deployment package (of the asset folder's files for version 1). */
  readonly codeSha256: string;
  readonly codeSize: number;
  /** Absolute; undefined for code that lives in the template's asset folder. */
  readonly codeDir?: string;
  readonly lastModified: string;
  readonly description: string;
}

/** An alias: its version and, while traffic shifts, the other version's weight (0–1). */
export interface AliasRecord {
  readonly name: string;
  readonly functionVersion: string;
  readonly additionalVersionWeights: Readonly<Record<string, number>>;
  readonly description: string;
  readonly revisionId: string;
}
