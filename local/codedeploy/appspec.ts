import { parse } from 'yaml';

/** The Lambda AppSpec of a deployment: which alias moves from which version to which, and its hooks. */
export interface LambdaAppSpec {
  readonly resourceName: string;
  readonly functionName: string;
  readonly alias: string;
  readonly currentVersion: string;
  readonly targetVersion: string;
  readonly hooks: Readonly<Partial<Record<HookEvent, string>>>;
}

export type HookEvent = 'BeforeAllowTraffic' | 'AfterAllowTraffic';

const HOOK_EVENTS: readonly string[] = ['BeforeAllowTraffic', 'AfterAllowTraffic'];

/** An AppSpec local mode cannot deploy: CreateDeployment's InvalidRevisionException. */
export class InvalidAppSpecError extends Error {
  override readonly name = 'InvalidAppSpecError';
}

/**
 * Reads a Lambda AppSpec (JSON or YAML): one `AWS::Lambda::Function` resource with Name, Alias,
 * CurrentVersion and TargetVersion, and optional BeforeAllowTraffic / AfterAllowTraffic hooks.
 */
export function parseAppSpec(content: string): LambdaAppSpec {
  let doc: unknown;
  try {
    doc = parse(content);
  } catch (error) {
    throw new InvalidAppSpecError(`the AppSpec is not JSON or YAML: ${(error as Error).message}`);
  }
  const spec = (doc ?? {}) as { Resources?: unknown; Hooks?: unknown };
  const resources = Array.isArray(spec.Resources) ? (spec.Resources as Record<string, unknown>[]) : [];
  const entries = resources.flatMap((r) => Object.entries(r ?? {}));
  const [entry, ...more] = entries;
  if (entry === undefined || more.length > 0)
    throw new InvalidAppSpecError('the AppSpec must name exactly one resource');
  const [resourceName, resource] = entry as [string, { Type?: string; Properties?: Record<string, unknown> }];
  if (resource?.Type !== 'AWS::Lambda::Function') {
    throw new InvalidAppSpecError(`resource ${resourceName} is not of Type AWS::Lambda::Function`);
  }
  const p = resource.Properties ?? {};
  const field = (name: string) => {
    const value = p[name];
    if ((typeof value !== 'string' && typeof value !== 'number') || value === '') {
      throw new InvalidAppSpecError(`resource ${resourceName} has no ${name}`);
    }
    return String(value);
  };
  return {
    resourceName,
    functionName: field('Name'),
    alias: field('Alias'),
    currentVersion: field('CurrentVersion'),
    targetVersion: field('TargetVersion'),
    hooks: hooksOf(spec.Hooks),
  };
}

function hooksOf(value: unknown): Partial<Record<HookEvent, string>> {
  const list = Array.isArray(value) ? (value as Record<string, unknown>[]) : [];
  const hooks: Partial<Record<HookEvent, string>> = {};
  for (const [event, fn] of list.flatMap((h) => Object.entries(h ?? {}))) {
    if (!HOOK_EVENTS.includes(event)) throw new InvalidAppSpecError(`${event} is not a Lambda lifecycle hook`);
    if (typeof fn !== 'string' || fn === '') throw new InvalidAppSpecError(`hook ${event} names no function`);
    hooks[event as HookEvent] = fn;
  }
  return hooks;
}
