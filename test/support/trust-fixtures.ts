import type { SourcedStatement, Statement } from '../../local/iam/evaluate';

/** The control plane's account and a target account, as the local trust tests name them. */
export const HOME = '000000000000';
export const TARGET = '222222222222';
export const RELEASE = `arn:aws:iam::${HOME}:role/gantry-deploy-release-us-east-1`;
export const DEPLOY = `arn:aws:iam::${TARGET}:role/gantry-deploy-${HOME}`;

/** Statements with where they came from, as the local evaluator takes them. */
export const sourced = (source: string, statements: Statement[]): SourcedStatement[] =>
  statements.map((statement, i) => ({ statement, source: `${source}#${i}` }));

/** The trust policy GantryTarget synthesizes (infra/constructs/target-access.ts), for the release step's role. */
export const TRUST = sourced('DeployRole/AssumeRolePolicyDocument', [
  {
    Effect: 'Allow',
    Principal: { AWS: [RELEASE] },
    Action: 'sts:AssumeRole',
    Condition: {
      StringEquals: { 'aws:PrincipalAccount': HOME },
      ArnEquals: { 'aws:PrincipalArn': [RELEASE] },
      StringLike: { 'sts:RoleSessionName': 'gantry-*' },
      Null: { 'aws:RequestTag/gantry:run-id': 'false' },
    },
  },
  {
    Effect: 'Allow',
    Principal: { AWS: [RELEASE] },
    Action: 'sts:TagSession',
    Condition: {
      StringEquals: { 'aws:PrincipalAccount': HOME },
      ArnEquals: { 'aws:PrincipalArn': [RELEASE] },
      Null: { 'aws:RequestTag/gantry:run-id': 'false' },
      'ForAllValues:StringEquals': { 'aws:TagKeys': ['gantry:run-id'] },
    },
  },
]);

/** The release step's grant to assume the deploy role (TargetAccounts.grantAssumeTargetRoles). */
export const MAY_ASSUME = sourced('ReleasePolicy', [
  { Effect: 'Allow', Action: ['sts:AssumeRole', 'sts:TagSession'], Resource: DEPLOY },
]);
