const MASK = '***';
/** Lines of a multi-line secret shorter than this are not masked on their own: they would mask ordinary text. */
const MIN_LINE = 4;

/**
 * Masks secret values in build output, as CodeBuild masks Secrets Manager and Parameter Store
 * values in its logs. Each line of a multi-line secret (a PEM key) is masked too, since the log
 * is kept line by line.
 */
export class Redactor {
  private secrets: string[] = [];

  add(value: string): void {
    const parts = [value, ...value.split(/\r?\n/).filter((l) => l.trim().length >= MIN_LINE)];
    const fresh = parts.filter((p) => p !== '' && !this.secrets.includes(p));
    this.secrets = [...this.secrets, ...fresh].sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) {
      if (out.includes(secret)) out = out.split(secret).join(MASK);
    }
    return out;
  }
}
