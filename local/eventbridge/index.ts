export { EventBridgeError, InvalidEventError, InvalidEventPatternError, TargetInputError } from './errors';
export {
  compileTargetInput,
  type DeliveryContext,
  type InputTransformer,
  type TargetInput,
  type TargetInputSettings,
  targetInput,
} from './input';
export type { JsonObject, JsonValue } from './json';
export { type CompiledPattern, compilePattern, matches, matchesPattern } from './pattern';
export { TEST_EVENT_REQUIRED_FIELDS, testEventPattern } from './test-event-pattern';
