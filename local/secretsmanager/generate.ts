import { randomBytes } from 'node:crypto';
import { SecretsConfigError } from './errors';

/** A template's `GenerateSecretString`, as local mode reads it for `AWS::SecretsManager::Secret`. */
export interface GenerateSpec {
  /** `SecretStringTemplate`: a JSON object the generated string is added to. */
  readonly template: string;
  /** `GenerateStringKey`: where in the template the generated string goes. */
  readonly key: string;
  /** `PasswordLength`. */
  readonly length: number;
  /** `ExcludePunctuation`: letters and digits only. */
  readonly excludePunctuation: boolean;
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Punctuation is limited to what is safe in a URL, a header or a shell, unlike AWS's generator. */
const URL_SAFE = `${ALPHANUMERIC}-_`;
/** What CloudFormation generates when a secret has neither SecretString nor a template: 32 characters. */
const DEFAULT_LENGTH = 32;

/** A crypto-random string over the alphabet `excludePunctuation` allows, without modulo bias. */
export function randomString(length: number, excludePunctuation: boolean): string {
  const alphabet = excludePunctuation ? ALPHANUMERIC : URL_SAFE;
  const limit = 256 - (256 % alphabet.length);
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length)) {
      if (byte < limit && out.length < length) out += alphabet[byte % alphabet.length];
    }
  }
  return out;
}

/**
 * The demo value for a secret created at first start: the template with a random string at
 * its key, as GenerateSecretString does; without one, a random string alone.
 * @throws SecretsConfigError when the template is not a JSON object.
 */
export function demoValue(name: string, generate: GenerateSpec | undefined): string {
  if (generate === undefined) return randomString(DEFAULT_LENGTH, false);
  let template: unknown;
  try {
    template = JSON.parse(generate.template);
  } catch {
    template = undefined;
  }
  if (typeof template !== 'object' || template === null || Array.isArray(template)) {
    throw new SecretsConfigError(`secret "${name}": SecretStringTemplate is not a JSON object`);
  }
  return JSON.stringify({ ...template, [generate.key]: randomString(generate.length, generate.excludePunctuation) });
}
