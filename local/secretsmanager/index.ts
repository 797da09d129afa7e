export { checkEnvNames, SECRET_ENV_PREFIX, secretEnvVar } from './env';
export {
  LocalSecretNotFoundError,
  SecretsConfigError,
  SecretsFileError,
  SecretsManagerError,
  type SecretsManagerErrorCode,
} from './errors';
export { type GenerateSpec, randomString } from './generate';
export { readLocalSecret } from './read';
export { type SecretsManagerOptions, SecretsManagerService } from './service';
export { type SecretSpec, seedSecretsFile } from './store';
