import { TargetInputError } from './errors';
import type { JsonObject, JsonValue } from './json';
import { compileJsonPath, type JsonPath, readJsonPath } from './jsonpath';

/** A target's InputTransformer, as PutTargets takes it. */
export interface InputTransformer {
  readonly InputPathsMap?: Readonly<Record<string, string>>;
  readonly InputTemplate: string;
}

/** The input settings of a rule target, named as in PutTargets; at most one of the three may be set. */
export interface TargetInputSettings {
  /** The target's id, used in error messages. */
  readonly Id?: string;
  /** Constant JSON text sent instead of the event. */
  readonly Input?: string;
  /** A JSONPath selecting the part of the event to send, such as `$.detail`. */
  readonly InputPath?: string;
  readonly InputTransformer?: InputTransformer;
}

/** What EventBridge knows at delivery time besides the event. */
export interface DeliveryContext {
  readonly ruleArn: string;
  readonly ruleName: string;
  /** When the bus received the event. @default the event's `time` */
  readonly ingestionTime?: string;
}

/** A target's validated input settings, ready to shape each matched event. */
export interface TargetInput {
  /** The text EventBridge sends to the target. */
  text(event: JsonObject, context: DeliveryContext): string;
  /**
   * The input as the target receives it, parsed: what a Lambda function or a state machine gets.
   * It may share objects with the event; copy it before changing it.
   * @throws TargetInputError when a transformed input is not JSON (EventBridge does not escape
   * substituted values, so a quote inside a quoted placeholder's value breaks the JSON).
   */
  value(event: JsonObject, context: DeliveryContext): JsonValue;
}

// Variables EventBridge defines itself; an InputPathsMap may not redefine them.
const PREDEFINED = ['aws.events.rule-arn', 'aws.events.rule-name', 'aws.events.event', 'aws.events.event.json'];
const INGESTION_TIME = 'aws.events.event.ingestion-time';
const PLACEHOLDER = /<([^<>\s]+)>/g;
const MAX_VARIABLES = 100;

/**
 * Validates a target's Input / InputPath / InputTransformer once, as PutTargets would, and
 * returns how to shape each event. With none set, the target receives the whole event.
 * @throws TargetInputError for settings PutTargets rejects.
 */
export function compileTargetInput(settings: TargetInputSettings): TargetInput {
  const { Id: id, Input: input, InputPath: inputPath, InputTransformer: transformer } = settings;
  const fail: Fail = (message, cause) => {
    throw new TargetInputError(message, id, { cause });
  };
  const target = id ?? '(unnamed)';
  if ([input, inputPath, transformer].filter((setting) => setting !== undefined).length > 1) {
    fail(`Only one of Input, InputPath, or InputTransformer must be provided for target ${target}.`);
  }
  if (input !== undefined) return constantInput(input, () => fail(`Input for target ${target} is not valid JSON.`));
  if (inputPath !== undefined) {
    const path = compileJsonPath(inputPath, true);
    if (path === undefined)
      return fail(`InputPath for target ${target} is not a JSONPath EventBridge accepts: ${inputPath}`);
    return fromValue((event) => {
      const value = readJsonPath(event, path);
      return value === undefined ? null : value;
    });
  }
  if (transformer !== undefined) return transformedInput(transformer, target, fail);
  return fromValue((event) => event);
}

/** Shapes one event for one target; compile with {@link compileTargetInput} to reuse the settings. */
export function targetInput(settings: TargetInputSettings, event: JsonObject, context: DeliveryContext): JsonValue {
  return compileTargetInput(settings).value(event, context);
}

function constantInput(input: string, invalid: () => never): TargetInput {
  try {
    JSON.parse(input);
  } catch {
    invalid();
  }
  return { text: () => input, value: () => JSON.parse(input) };
}

function fromValue(select: (event: JsonObject) => JsonValue): TargetInput {
  return { text: (event) => JSON.stringify(select(event)), value: (event) => select(event) };
}

type Fail = (message: string, cause?: unknown) => never;
type Segment = string | { readonly name: string; readonly quoted: boolean };

function transformedInput(transformer: InputTransformer, target: string, fail: Fail): TargetInput {
  const paths = compilePathsMap(transformer.InputPathsMap ?? {}, target, fail);
  const segments = parseTemplate(transformer.InputTemplate);
  for (const segment of segments) {
    if (typeof segment === 'string' || paths.has(segment.name) || isPredefined(segment.name)) continue;
    fail(`InputTemplate for target ${target} contains invalid placeholder ${segment.name}.`);
  }
  const text = (event: JsonObject, context: DeliveryContext): string =>
    segments
      .map((segment) => {
        if (typeof segment === 'string') return segment;
        const value = variable(segment.name, paths, event, context);
        return segment.quoted && typeof value === 'string' ? value : JSON.stringify(value);
      })
      .join('');
  return {
    text,
    value: (event, context) => {
      const rendered = text(event, context);
      try {
        return JSON.parse(rendered);
      } catch (error) {
        return fail(
          `InputTemplate for target ${target} produced text that is not JSON: ${rendered.slice(0, 200)}`,
          error,
        );
      }
    },
  };
}

function compilePathsMap(map: Readonly<Record<string, string>>, target: string, fail: Fail): Map<string, JsonPath> {
  const entries = Object.entries(map);
  if (entries.length > MAX_VARIABLES) {
    fail(`InputPathsMap for target ${target} has more than ${MAX_VARIABLES} variables.`);
  }
  const paths = new Map<string, JsonPath>();
  for (const [name, text] of entries) {
    if (isPredefined(name)) fail(`InputPathsMap for target ${target} redefines the reserved variable ${name}.`);
    const path = compileJsonPath(text, false);
    if (path === undefined) fail(`InputPathsMap for target ${target} has an invalid JSONPath for ${name}: ${text}`);
    else paths.set(name, path);
  }
  return paths;
}

function isPredefined(name: string): boolean {
  return name === INGESTION_TIME || PREDEFINED.includes(name);
}

/** Splits a template into literal text and placeholders, noting which sit inside a JSON string. */
function parseTemplate(template: string): Segment[] {
  const segments: Segment[] = [];
  let from = 0;
  for (const match of template.matchAll(PLACEHOLDER)) {
    const name = match[1] ?? '';
    segments.push(template.slice(from, match.index), { name, quoted: insideString(template, match.index) });
    from = match.index + match[0].length;
  }
  segments.push(template.slice(from));
  return segments;
}

function insideString(template: string, end: number): boolean {
  let inside = false;
  for (let pos = 0; pos < end; pos++) {
    const char = template.charAt(pos);
    if (inside && char === '\\') pos++;
    else if (char === '"') inside = !inside;
  }
  return inside;
}

/**
 * A variable's value. A path that leads nowhere yields the empty string, as AWS does (the guide's
 * "variable isn't created"). `aws.events.event` is the event without `detail` and with
 * `detail-type` renamed `detailType`, as AWS delivers it; `aws.events.event.json` is the whole event.
 */
function variable(name: string, paths: Map<string, JsonPath>, event: JsonObject, context: DeliveryContext): JsonValue {
  const path = paths.get(name);
  if (path !== undefined) {
    const value = readJsonPath(event, path);
    return value === undefined ? '' : value;
  }
  switch (name) {
    case 'aws.events.rule-arn':
      return context.ruleArn;
    case 'aws.events.rule-name':
      return context.ruleName;
    case INGESTION_TIME:
      return context.ingestionTime ?? (typeof event.time === 'string' ? event.time : '');
    case 'aws.events.event':
      return envelopeOf(event);
    case 'aws.events.event.json':
      return event;
    default:
      return '';
  }
}

function envelopeOf(event: JsonObject): JsonObject {
  const envelope: JsonObject = {};
  for (const [key, value] of Object.entries(event)) {
    if (key !== 'detail') envelope[key === 'detail-type' ? 'detailType' : key] = value;
  }
  return envelope;
}
