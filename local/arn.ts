/** The 12-digit account an ARN names, or undefined (S3's ARNs name none; a name is no ARN). */
export function arnAccount(arn: string): string | undefined {
  const account = arn.split(':')[4];
  return account !== undefined && /^\d{12}$/.test(account) ? account : undefined;
}
