import type { TriggerLetter } from './letters';
import { errorLine, kept, type RedriveResult, redriven } from './outcome';

/** A rule's target as ListTargetsByRule describes it. */
export interface RuleTarget {
  readonly id: string;
  readonly arn: string;
  readonly input?: string;
  readonly inputPath?: string;
  readonly inputTransformer?: { readonly InputPathsMap?: Record<string, string>; readonly InputTemplate: string };
  readonly deadLetterArn?: string;
}

/** Port: the rules of the account (EventBridge). */
export interface RuleDirectory {
  /** The rule's targets; undefined when the rule does not exist. */
  targetsOf(ruleArn: string): Promise<readonly RuleTarget[] | undefined>;
}

/** Port: what EventBridge does with a matched event for one target. */
export interface TargetStarter {
  /** The text the target receives: the target's Input, InputPath or InputTransformer applied to the event. */
  inputFor(target: RuleTarget, event: Record<string, unknown>, ruleArn: string): string;
  /** Starts the target with that input; returns what it started (an execution ARN, a request id). */
  start(targetArn: string, input: string): Promise<string>;
}

export interface TriggerRedriveDeps {
  readonly rules: RuleDirectory;
  readonly targets: TargetStarter;
  /** The ARN of the queue the letter was read from. */
  readonly queueArn: string;
}

/** Target kinds redrive can start as EventBridge does: a state machine (StartExecution) or a function (async Invoke). */
const STARTABLE = /^arn:[^:]+:(states|lambda):/;

/**
 * Sends an event EventBridge could not deliver to the one target that missed it, shaped as that
 * target's rule shapes it, and nowhere else: the other rules it matched already ran. Only a
 * target that names this queue as its dead-letter queue is started, so a message someone else
 * put in the queue cannot choose what runs. A pipeline trigger's target is the admission state
 * machine, which names the run after the event id: redriving an event twice starts one run.
 */
export async function redriveTriggerLetter(deps: TriggerRedriveDeps, letter: TriggerLetter): Promise<RedriveResult> {
  const targets = await deps.rules.targetsOf(letter.ruleArn);
  if (targets === undefined) return kept('unknown_target', `rule ${letter.ruleArn} no longer exists`);
  const target = targets.find((t) => t.arn === letter.targetArn);
  if (target === undefined) return kept('unknown_target', `rule ${letter.ruleArn} has no target ${letter.targetArn}`);
  if (target.deadLetterArn !== deps.queueArn)
    return kept('unknown_target', `target ${target.id} of that rule does not dead-letter into this queue`);
  if (!STARTABLE.test(target.arn)) return kept('unsupported_target', `cannot start ${target.arn}`);
  let input: string;
  try {
    input = deps.targets.inputFor(target, letter.event, letter.ruleArn);
  } catch (error) {
    return kept('unknown_target', `the target's input cannot be made from this event: ${errorLine(error)}`);
  }
  try {
    return redriven(`started ${await deps.targets.start(target.arn, input)}`);
  } catch (error) {
    return kept('send_failed', `${target.arn}: ${errorLine(error)}`);
  }
}
