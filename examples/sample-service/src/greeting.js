/** The greeting the service answers with; names are trimmed and capped so the reply stays small. */
export function greeting(name) {
  const who = typeof name === 'string' && name.trim() !== '' ? name.trim().slice(0, 64) : 'world';
  return `Hello, ${who}!`;
}
