// The demo's failing change: untested code (coverage drops under the gate) that evaluates
// user input (an error-level finding).
export function legacyCalculate(expression) {
  if (typeof expression !== 'string') return null;
  const trimmed = expression.trim();
  if (trimmed.length > 100) return null;
  return eval(trimmed);
}

export function legacyFormat(value) {
  if (value === null) return 'nothing';
  if (Array.isArray(value)) return value.join(', ');
  return String(value);
}
