/**
 * What a Slack message says, as the list of its statements in order: each text it shows, with the
 * kind of thing that shows it (a section's mrkdwn, a line of rich text, a button's label and what
 * the button sends). Two messages with the same statements tell a reader the same thing, whatever
 * ids or defaults Slack added to their blocks.
 *
 * Whoever posts a message chooses all of it: anything that shows words this reader does not know
 * (another block type, a section's fields or accessory, a link or a mention in rich text, styled
 * text, a button's confirm dialog, a legacy attachment) becomes an `unrecognised` statement, which
 * Gantry's own messages never hold, so such a message never equals one of Gantry's.
 */
export function slackStatements(message: unknown): string[] {
  if (!isRecord(message)) return [unrecognised('message', message)];
  const statements = [...shown(message, ['attachments', 'files'])];
  if (!Array.isArray(message.blocks)) return [...statements, unrecognised('blocks', message.blocks)];
  for (const block of message.blocks) statements.push(...blockStatements(block));
  return statements;
}

type Json = Record<string, unknown>;

function blockStatements(block: unknown): string[] {
  if (!isRecord(block)) return [unrecognised('block', block)];
  switch (block.type) {
    case 'section':
      return [textOf('section', block.text), ...shown(block, ['fields', 'accessory'])];
    case 'rich_text':
      return richTextLines(block);
    case 'input':
      return [textOf('input label', block.label), ...inputElement(block.element), ...shown(block, ['hint'])];
    case 'actions':
      return Array.isArray(block.elements) ? block.elements.map(button) : [unrecognised('actions', block)];
    default:
      return [unrecognised('block', block)];
  }
}

/** Rich text as the lines it shows; only plain, unstyled text is read as words. */
function richTextLines(block: Json): string[] {
  const paragraphs: string[] = [];
  const others: string[] = [];
  for (const element of Array.isArray(block.elements) ? block.elements : [block.elements]) {
    if (!isRecord(element) || element.type !== 'rich_text_section' || !Array.isArray(element.elements)) {
      others.push(unrecognised('rich text', element));
      continue;
    }
    let text = '';
    for (const part of element.elements) {
      if (isPlainText(part)) text += part.text;
      else others.push(unrecognised('rich text', part));
    }
    paragraphs.push(text);
  }
  return [
    ...paragraphs
      .join('\n')
      .split('\n')
      .map((line) => `line: ${line}`),
    ...others,
  ];
}

function isPlainText(part: unknown): part is { text: string } {
  if (!isRecord(part) || part.type !== 'text' || typeof part.text !== 'string') return false;
  return part.style === undefined || (isRecord(part.style) && Object.values(part.style).every((on) => !on));
}

function inputElement(element: unknown): string[] {
  if (!isRecord(element) || element.type !== 'plain_text_input') return [unrecognised('input', element)];
  return [`input: ${String(element.action_id)}`, ...shown(element, ['placeholder', 'initial_value'])];
}

function button(element: unknown): string {
  if (!isRecord(element) || element.type !== 'button') return unrecognised('action', element);
  const extras = shown(element, ['url', 'confirm']);
  if (extras.length > 0) return extras.join('; ');
  return `button ${String(element.action_id)}: ${textOf('label', element.text)} → ${String(element.value)}`;
}

/** A text object's words, with its type: mrkdwn formats and links, plain_text does not. */
function textOf(what: string, text: unknown): string {
  if (!isRecord(text) || typeof text.type !== 'string' || typeof text.text !== 'string')
    return unrecognised(what, text);
  return `${what} (${text.type}): ${text.text}`;
}

/** The keys of `value` that show something when present (an empty list shows nothing). */
function shown(value: Json, keys: readonly string[]): string[] {
  return keys
    .filter((key) => value[key] !== undefined && value[key] !== null)
    .filter((key) => !(Array.isArray(value[key]) && (value[key] as unknown[]).length === 0))
    .map((key) => unrecognised(key, value[key]));
}

function unrecognised(what: string, value: unknown): string {
  return `unrecognised ${what}: ${JSON.stringify(value) ?? String(value)}`;
}

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
