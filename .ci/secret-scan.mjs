#!/usr/bin/env node
// A small gitleaks-style check over tracked files: fails on strings shaped like real credentials.
// `npm test` runs it as well (test/unit/ci/secret-scan.test.ts), so a credential-shaped fixture
// is caught before CI's last step rather than after a 40-minute run.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const RULES = [
  ['AWS access key id', /\b(AKIA|ASIA)[0-9A-Z]{16}\b/],
  ['AWS secret access key', /aws_secret_access_key\s*[=:]\s*['"]?[A-Za-z0-9/+=]{40}/i],
  ['GitHub token', /\bgh[pousr]_[A-Za-z0-9]{36,}\b/],
  ['GitLab token', /\bglpat-[A-Za-z0-9_-]{20,}\b/],
  ['Slack token', /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/],
  ['private key', /-----BEGIN (RSA |EC |OPENSSH |)PRIVATE KEY-----/],
];

/** The names of the rules a text breaks. */
export function credentialsIn(text) {
  return RULES.filter(([, pattern]) => pattern.test(text)).map(([name]) => name);
}

/** `<file>: looks like a <rule>` for every tracked file (outside node_modules) holding a credential shape. */
export function scanTrackedFiles(cwd = process.cwd()) {
  const files = execFileSync('git', ['ls-files', '-z'], { cwd, encoding: 'utf8' }).split('\0').filter(Boolean);
  const findings = [];
  for (const file of files) {
    if (file.startsWith('node_modules/')) continue;
    let text;
    try {
      text = readFileSync(`${cwd}/${file}`, 'utf8');
    } catch {
      continue;
    }
    for (const name of credentialsIn(text)) findings.push(`${file}: looks like a ${name}`);
  }
  return { files: files.length, findings };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { files, findings } = scanTrackedFiles();
  if (findings.length > 0) {
    console.error(findings.join('\n'));
    process.exit(1);
  }
  console.log(`no credentials found in ${files} tracked files`);
}
