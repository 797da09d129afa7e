/**
 * Template metadata key naming a function's folder under `functions/`; local mode runs that handler.
 * CDK-free, so that local mode can read a cached template without loading aws-cdk-lib.
 */
export const FUNCTION_METADATA_KEY = 'gantry:function';
