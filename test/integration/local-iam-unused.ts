/**
 * The reviewed reasons for every grant a develop push's whole local run leaves unused (issue 15).
 * `local-iam.test.ts` holds the session's report to this list both ways: an unused grant no entry
 * covers is new and needs a reviewed reason here (or removing from infra/), and an entry that
 * covers nothing is stale (the code now uses the grant, or the grant is gone) and must go.
 *
 * An entry covers an unused grant when the role's name, or its policy's logical name, matches
 * `role` (a substring of the role's logical name, never its hash suffix, or a RegExp), the grant's actions are exactly `actions`
 * (in any order), and, if `resource` is given, one of the grant's resources contains it.
 */
export interface UnusedGrantEntry {
  readonly role: string | RegExp;
  readonly actions: readonly string[];
  readonly resource?: string;
  readonly why: string;
}

/** An unused grant, as `iamReport()` gives it per role. */
export interface UnusedGrant {
  readonly role: string;
  readonly source: string;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
}

const ANY_ROLE = /Role/;
const BUILD_ROLES = /-Pipeline[a-z0-9]+(Gated|Untrusted)?BuildRole/;
const TABLE_KEY = ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'];
const ENCRYPT_DECRYPT = ['kms:Decrypt', 'kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'];
/** A role's grants on runs, one statement each (RunsTable.grantWrites: its writes are limited by attributes). */
const runsGrants = (entry: Omit<UnusedGrantEntry, 'actions'>, actions: readonly string[]): UnusedGrantEntry[] =>
  actions.map((action) => ({ ...entry, actions: [action], resource: 'table/gantry-runs' }));
const AUDIT_APPEND = ['dynamodb:PutItem', 'dynamodb:Query'];
const PUT_EVENTS = ['events:PutEvents'];

export const UNUSED_GRANTS: readonly UnusedGrantEntry[] = [
  {
    // The statement's Sid (grantAnnounceSecurityRecords, infra/constructs/security-notices.ts).
    role: '#AnnounceSecurityRecords',
    actions: PUT_EVENTS,
    resource: ':event-bus/',
    why: 'Security notices: announcingSecurityRecords (shared/audit/security-notice.ts) puts a Security Record event on the bus only when its function writes a security.* record (a forged input, a deployment no run started); a develop push writes none.',
  },
  // Grants a service uses on the role's behalf, which the local hosts do themselves.
  {
    role: ANY_ROLE,
    actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    why: "The Lambda service (and CodeBuild, for a build's own log group) writes the function's logs with its execution role; locally the function hosts and the build emulator write logs themselves, without signing through the edge.",
  },
  {
    role: BUILD_ROLES,
    actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
    resource: ':log-group:/aws/codebuild/',
    why: "CodeBuild's default log group (/aws/codebuild/<project>), created and written by the CodeBuild service with the project's service role; the local build emulator writes build logs itself.",
  },
  {
    role: ANY_ROLE,
    actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
    why: "Active tracing: Lambda's X-Ray daemon sends the segments with the execution role; there is no X-Ray daemon locally.",
  },
  {
    role: ANY_ROLE,
    actions: TABLE_KEY,
    why: "The audit ledger table's key, granted with every ledger append (grantAuditAppend in infra/constructs/audit-checkpoints.ts): DynamoDB's SSE-KMS calls KMS with it on the caller's behalf for each item read or written; dynalite does not encrypt, so no KMS call is ever made.",
  },
  {
    role: 'AuditCheckpointsHandlerRole',
    actions: ['kms:Decrypt', 'kms:DescribeKey'],
    why: "The audit ledger table's key for reading (keys.tableKey.grant in AuditCheckpoints, infra/constructs/audit-checkpoints.ts): DynamoDB's SSE-KMS decrypts with it on the reader's behalf; dynalite does not. (The checkpoint handler did not run either: see its Query entry.)",
  },
  {
    role: /-PipelineSteps(recordprovenance)Role|BuildRole/,
    actions: ENCRYPT_DECRYPT,
    why: "The artifacts bucket's key (grantEncryptDecrypt): S3's SSE-KMS calls KMS on the caller's behalf when provenance or build artifacts are written and read; local S3 does not call KMS.",
  },
  {
    role: /-PipelineSteps(evaluategates|deployrelease)Role/,
    actions: ['kms:Decrypt'],
    why: "The artifacts bucket's key (key.grantDecrypt): S3's SSE-KMS decrypts with it on the reader's behalf when EvaluateGates reads the reports or DeployRelease the release artifact and provenance; local S3 does not call KMS.",
  },
  {
    role: 'PipelineStepsfetchsourceRole',
    actions: ['kms:GenerateDataKey'],
    why: "The artifacts bucket's key (grantFetchSource in infra/constructs/pipeline/steps.ts): S3's SSE-KMS generates the data key on the writer's behalf when FetchSource puts the source snapshot under sources/; local S3 does not call KMS.",
  },
  {
    role: 'NotificationsNotifierRole',
    actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
    why: "The SNS topic's key (topic.grantPublish): SNS's SSE-KMS calls KMS on the publisher's behalf; besides, the notifier publishes to the on-call topic only for deployment-rolled-back, which a succeeding develop run never sends.",
  },
  {
    role: 'NotificationsNotifierRole',
    actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
    why: "The notifier's dead-letter queue as its async-invoke onFailure destination (configureAsyncInvoke in infra/constructs/notifications.ts): the Lambda service delivers an event that failed every retry there with the execution role; nothing failed on this run, and the local invoker does not deliver to destinations with the role.",
  },
  {
    role: 'DeploymentsEventsRole',
    actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
    resource: 'TriggerDeadLetters',
    why: "The triggers dead-letter queue as deploy-events' async-invoke onFailure destination (configureAsyncInvoke in infra/constructs/deployments.ts): the Lambda service sends an event the function failed on three times there with the execution role; nothing failed on this run, and the local invoker (local/lambda/async-invoke.ts) does not send with the role.",
  },
  {
    role: 'PipelineStepsreportstatusRole',
    actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
    resource: 'TriggerDeadLetters',
    why: "The triggers dead-letter queue as report-status's async-invoke onFailure destination (configureAsyncInvoke in infra/constructs/pipeline/steps.ts): the Lambda service sends there, with the execution role, the Run Failed of a cancelled or swept run whose status the provider refused three times; no run was cancelled or swept on this run, and the local invoker (local/lambda/async-invoke.ts) does not send with the role.",
  },

  // Paths a develop push that succeeds does not take: each grant's caller, and when it calls.
  {
    role: 'WebhookIngressReceiverRole',
    actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
    why: 'The ingress dead-letter queue: receiveWebhook (shared/webhooks/receive.ts) sends a delivery there (SqsDeadLetters.send, shared/webhooks/dead-letters.ts) only when EventBridge refused some of its events; every PutEvents succeeded.',
  },
  {
    role: 'PipelineStepsresolveplanRole',
    actions: ['states:StopExecution'],
    why: "Supersede: ResolvePlan of a lane under the `superseded` concurrency policy stops the executions of the lane's older active runs (supersede() in shared/pipelines/start.ts); this run had no older run in its lane.",
  },
  {
    role: 'PipelineStepsresolveplanRole',
    actions: ['codedeploy:StopDeployment'],
    why: 'Supersede: supersede() in shared/pipelines/start.ts also stops the deployment a superseded run has in progress (CodeDeploy rolls its traffic back); there was no older run.',
  },
  {
    role: 'PipelineStepswaitturnRole',
    actions: ['states:SendTaskSuccess'],
    why: "Handing a lane on to a queued run: admitNext (shared/pipelines/start.ts), from ReleaseLane (releaseLane in shared/pipelines/finish.ts) or the sweep, answers the WaitTurn task token of the lane's next QUEUED run; the lane's keeper runs ReleaseLane at the end of this run too, but no run was queued behind it.",
  },
  {
    role: 'PipelineStepswaitturnRole',
    actions: ['states:DescribeExecution'],
    why: "The sweep: sweepRuns (shared/pipelines/sweep.ts) asks Step Functions whether each active run's execution still runs; the Sweep rule fires every 5 minutes (SWEEP_EVERY in infra/constructs/pipeline/steps.ts) and did not fire during this run.",
  },
  {
    role: 'PipelineStepswaitturnRole',
    actions: PUT_EVENTS,
    why: "The sweep: sweepRuns (shared/pipelines/sweep.ts) publishes Run Failed (only that detail-type) for a run it closes because its execution had ended, for the notifier and for the ReportEndedRuns rule that has report-status post the commit's error (infra/constructs/pipeline/steps.ts); the sweep did not run.",
  },
  {
    role: 'PipelineStepswaitturnRole',
    actions: AUDIT_APPEND,
    why: "The ledger on the keeper's failure paths: sweepRuns records run.failed for a run it closes (shared/pipelines/sweep.ts), admitNext records run.failed for a queued run whose execution ended while it waited (shared/pipelines/start.ts), and releaseLane's runOfExecution (shared/pipelines/ownership.ts) records security.forged_input for an execution that does not own the run; none happened (the keeper's own ReleaseLane at the end of this run writes nothing to the ledger).",
  },
  {
    role: 'PipelineStepsfetchsourceRole',
    actions: AUDIT_APPEND,
    why: 'A forged input: runOfExecution (shared/pipelines/ownership.ts), called by fetchSource, records security.forged_input (recordForgedInput) when the execution does not own the run it names; the run owned it.',
  },
  ...runsGrants(
    {
      role: 'PipelineStepsrequestapprovalRole',
      why: 'Approval: RequestApproval (requestApproval in shared/pipelines/approval.ts) opens the approval on the run record only for an environment that requires one; the develop push deploys to dev, which requires none.',
    },
    ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
  ),
  {
    role: 'PipelineStepsrequestapprovalRole',
    actions: PUT_EVENTS,
    why: 'Approval: requestApproval (shared/pipelines/approval.ts) publishes the Approval Requested notification; no approval on a develop push to dev.',
  },
  {
    role: 'PipelineStepsrequestapprovalRole',
    actions: AUDIT_APPEND,
    why: 'Approval: requestApproval (shared/pipelines/approval.ts) records approval.requested in the ledger; no approval on a develop push to dev.',
  },
  {
    role: 'PipelineStepsrequestapprovalRole',
    actions: ['states:DescribeStateMachine'],
    why: 'Approvals as deployed now: RequestApproval names its current approvers (shared/pipelines/approval.ts) only for an environment that requires approval; dev requires none. (Deploy and ReportSuccess read the deployed pipeline for every run with an environment: releaseShortfall and unplannedApproval in shared/pipelines/acting.ts.)',
  },
  {
    role: 'PipelineStepsdeployreleaseRole',
    actions: ['states:DescribeStateMachineForExecution', 'states:DescribeExecution'],
    why: "Refusals only: Deploy reads the configuration and status of the run's own execution (configurationChangedOnly in shared/pipelines/acting.ts) when it refuses a run, to tell a configuration changed since it was planned from a forged record; a develop push's run is refused nowhere.",
  },
  {
    role: 'PipelineStepsreportstatusRole',
    actions: ['dynamodb:Query'],
    resource: 'table/gantry-runs',
    why: "Cancelled or swept runs: reportEnded (shared/pipelines/finish.ts) lists the run's lane so as not to post over a newer run of the same commit; nothing was cancelled or swept on a succeeding develop run.",
  },
  {
    role: 'PipelineStepsrecordfailureRole',
    actions: ['codedeploy:StopDeployment'],
    why: 'Hand-made failure: recordFailure (handMadeFailure in shared/pipelines/finish.ts) stops a deployment still in progress when its Deploy task was failed by someone other than Gantry; the run succeeded.',
  },
  {
    role: 'PipelineStepsrecordfailureRole',
    actions: ['states:GetExecutionHistory'],
    why: "Timeouts: recordFailure (timeoutNotMade in shared/pipelines/finish.ts) reads the execution's history only when an Approval or WaitTurn task failed with States.Timeout, to tell Step Functions' own timeout from a hand-made one; the run succeeded.",
  },
  ...runsGrants(
    {
      role: 'PipelineStepsrecordfailureRole',
      why: "Failure: RecordFailure runs only on a failed run's path (recordFailure / closeUnplanned in shared/pipelines/finish.ts, entered from the state machine's Catch); the run succeeded.",
    },
    ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
  ),
  {
    role: /PipelineSteps(resolveplan|fetchsource|reportstatus)Role/,
    actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
    resource: ':secret:gantry/connections/github-demo-',
    why: "Tokens set up before 2026-12: the steps that talk to the provider read the connection secret (beside the webhook secret) only when the token's own secret (<connection secret>/api-token) holds none (SecretsManagerTokenSource in shared/secrets/secrets.ts); local mode puts the demo token in its own secret.",
  },
  {
    role: 'PipelineStepsrecordfailureRole',
    actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
    resource: ':secret:gantry/connections/',
    why: "Failure: closeUnplanned (shared/pipelines/finish.ts) posts the failed commit status of a run that could not be planned, with the connection's token; the run succeeded.",
  },
  {
    role: 'PipelineStepsrecordfailureRole',
    actions: PUT_EVENTS,
    why: 'Failure: closeUnplanned (shared/pipelines/finish.ts) publishes the run-failed notification (runEnded); the run succeeded.',
  },
  {
    role: 'PipelineStepsrecordfailureRole',
    actions: AUDIT_APPEND,
    why: 'Failure: recordFailure / closeUnplanned (shared/pipelines/finish.ts) record run.failed in the ledger; the run succeeded.',
  },
  {
    role: 'PipelineStepsdeployreleaseRole',
    actions: ['codedeploy:GetDeployment', 'codedeploy:GetDeploymentGroup'],
    why: "A retried Deploy step: startDeployment (shared/deploy/release.ts) calls GetDeployment on the deployment an earlier attempt created, to adopt it; the step ran once. (One statement with deploy-verify and deploy-events, `read` in infra/constructs/deployments.ts; GetDeploymentGroup is deploy-verify's, groupAlarms in checkBake.)",
  },
  {
    role: 'PipelineStepsdeployreleaseRole',
    actions: ['codedeploy:ListDeployments', 'codedeploy:BatchGetDeployments'],
    why: "A retried Deploy step: startDeployment (shared/deploy/release.ts) finds the deployment an attempt created but did not note (findDeployment in shared/deploy/aws.ts lists the group's deployments and reads them in batches); the step ran once.",
  },
  {
    role: 'PipelineStepsdeployverifyRole',
    actions: ['codedeploy:ListDeployments', 'codedeploy:BatchGetDeployments'],
    why: 'A bake check retried after it asked for traffic back: checkBake (shared/deploy/verify.ts) finds the rollback deployment an attempt created but did not note (findDeployment in shared/deploy/aws.ts); no bake check was retried.',
  },
  {
    role: /-PipelineSteps(deployrelease|deployverify)Role/,
    actions: ['codedeploy:GetApplicationRevision', 'codedeploy:RegisterApplicationRevision'],
    why: "Part of CreateDeployment in AWS: CodeDeploy registers and reads the deployment's revision on the application with the caller's permissions (CodeDeploy's deployer policy grants them with CreateDeployment); the local CodeDeploy emulator authorizes CreateDeployment alone.",
  },
  {
    role: /-PipelineSteps(deployrelease|deployverify)Role/,
    actions: ['codedeploy:GetDeploymentConfig'],
    why: "Part of CreateDeployment in AWS: CodeDeploy reads the named deployment configuration with the caller's permissions (CodeDeploy's deployer policy grants it with CreateDeployment); the local CodeDeploy emulator authorizes CreateDeployment alone.",
  },
  {
    role: 'PipelineStepsdeployreleaseRole',
    actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'],
    why: "DeployRelease answers its own Deploy task only when there is nothing to wait for: a redeploy of the version the alias already serves, or a retry that adopts a deployment that already ended (answerDeployment from startDeployment, shared/deploy/release.ts); otherwise deploy-events answers on CodeDeploy's state-change event, as it did here.",
  },
  {
    role: /-PipelineStepsdeployreleaseRole|-DeploymentsEventsRole/,
    actions: PUT_EVENTS,
    why: 'Rollback: recordOutcome (shared/deploy/outcome.ts) publishes the deployment-rolled-back notification when a deployment ends other than Succeeded; the deployment succeeded.',
  },
  {
    role: 'PipelineStepsdeployverifyRole',
    actions: ['codedeploy:CreateDeployment', 'codedeploy:StopDeployment'],
    why: 'Rollback: checkBake (shared/deploy/verify.ts) creates the all-at-once deployment back to the previous version when an alarm fired during the bake, and reconcileDeployment stops a deployment whose state-change event never came; the alarms were quiet and the event came.',
  },
  {
    role: 'PipelineStepsdeployverifyRole',
    actions: PUT_EVENTS,
    why: 'Rollback: checkBake (an alarm during the bake) and reconcileDeployment (via recordOutcome) in shared/deploy/verify.ts publish deployment-rolled-back; nothing rolled back.',
  },
  {
    role: 'PipelineStepsdeployverifyRole',
    actions: AUDIT_APPEND,
    why: "Rollback or forged input: checkBake records deploy.rolled_back after an alarm, reconcileDeployment the deployment's outcome (recordOutcome), and requireDeployed security.forged_input (shared/deploy/verify.ts); the bake passed on a deployment Gantry closed as succeeded.",
  },
  ...runsGrants(
    {
      role: 'OperatorApiHandlerRole',
      why: 'Operator actions: answerOperatorRequest (shared/operators/operator-api.ts) reads and changes a run for approve/reject (decide), retry, rollback (a new run record) and cancel (shared/operators/actions.ts); nobody acted on this run.',
    },
    ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem'],
  ),
  {
    role: 'OperatorApiHandlerRole',
    actions: ['dynamodb:PutItem', 'dynamodb:GetItem'],
    resource: 'table/gantry-deliveries',
    why: 'Used caller proofs: OnceCallerVerifier (shared/operators/caller-proof.ts) claims each proof it acts on as a proof# item (DynamoDbUsedProofs, shared/operators/used-proofs.ts), reading it back only when a retried put failed its condition; nobody called the operator API.',
  },
  {
    role: 'OperatorApiHandlerRole',
    actions: PUT_EVENTS,
    why: "Operator cancel: cancel (shared/operators/actions.ts) announces Run Failed (Gantry.Cancelled) for a run it cancels, which the ReportEndedRuns rule turns into the commit's error status, or stops a deploying run's deployment and announces Deployment Rolled Back (recordOutcome in shared/deploy/outcome.ts); nobody cancelled.",
  },
  {
    role: 'OperatorApiHandlerRole',
    actions: ['dynamodb:Query'],
    why: "Operator rollback: rollback finds the current release and the last good run before it through the runs table's indexes (currentRelease and lastGoodBefore in shared/operators/actions.ts, runs.list); nobody rolled back.",
  },
  {
    role: 'OperatorApiHandlerRole',
    actions: [
      'states:SendTaskSuccess',
      'states:SendTaskFailure',
      'states:StartExecution',
      'states:DescribeStateMachine',
    ],
    why: 'Operator actions: an approval decision answers the approval task (decide in shared/pipelines/approval.ts, after authorityOver reads the deployed pipeline with DescribeStateMachine), and retry/rollback start a new execution (shared/operators/actions.ts); nobody acted on this run.',
  },
  {
    role: 'OperatorApiHandlerRole',
    actions: ['states:StopExecution'],
    why: "Operator cancel: cancel (shared/operators/actions.ts) stops the run's execution; nobody cancelled.",
  },
  {
    role: 'OperatorApiHandlerRole',
    actions: ['codedeploy:StopDeployment', 'codedeploy:GetDeployment'],
    why: 'Operator cancel: cancel (shared/operators/actions.ts) stops the deployment a cancelled run has in progress; nobody cancelled. (GetDeployment in this statement has no caller in shared/operators/: a review follow-up, not changed during the release freeze.)',
  },
  {
    role: /-OperatorApiHandlerRole|-NotificationsSlackInteractionsRole/,
    actions: AUDIT_APPEND,
    why: 'Operator actions and their refusals: the operator API (shared/operators/operator-api.ts, actions.ts) and Slack buttons (shared/operators/slack-actions.ts) record each decision, action or refused request in the ledger; nobody acted.',
  },
  {
    role: 'NotificationsSlackInteractionsRole',
    actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
    resource: ':secret:gantry/notifications/slack-signing-secret',
    why: "Slack's Approve / Reject buttons: the handler reads the signing secret (shared/operators/slack-wiring.ts) to verify each interaction request; no Slack request came (no approval on a develop push).",
  },
  ...runsGrants(
    {
      role: 'NotificationsSlackInteractionsRole',
      why: "Slack's Approve / Reject buttons: answerSlackAction (shared/operators/slack-actions.ts) reads the run and records the decision (decide in shared/pipelines/approval.ts); no Slack request came.",
    },
    ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
  ),
  {
    role: 'NotificationsSlackInteractionsRole',
    actions: ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:DescribeStateMachine'],
    why: "Slack's Approve / Reject buttons: decide (shared/pipelines/approval.ts) reads the deployed pipeline (authorityOver, DescribeStateMachine) and answers the approval task; no Slack request came.",
  },
  {
    role: 'NotificationsNotifierRole',
    actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
    why: "Notifications: the notifier reserves each delivery's key so a notification goes out once, marks it sent or releases it, and takes per-target rate slots, all in the deliveries table (DynamoDbNotificationLedger in shared/notify/dynamodb.ts); its rule only passes approval-requested, run-failed and deployment-rolled-back (gantry.config.yaml's targets), none of which a succeeding develop run sends.",
  },
  {
    role: 'NotificationsNotifierRole',
    actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
    resource: ':secret:gantry/notifications/',
    why: 'Notifications: the Slack (releases) and Teams (platform-team) senders read their webhook URL secret (shared/notify/senders.ts) when they send; no notification event on a succeeding develop run.',
  },
  {
    role: 'NotificationsNotifierRole',
    actions: ['sns:Publish'],
    why: 'Notifications: the SNS sender publishes to the on-call email topic (shared/notify/senders.ts) for deployment-rolled-back only; nothing rolled back.',
  },
  {
    role: 'AuditCheckpointsHandlerRole',
    actions: ['dynamodb:Query'],
    why: 'Audit checkpoints: the checkpoint handler (functions/audit-checkpoint, shared/audit/checkpoints.ts) runs on its Schedule rule, every checkpointMinutes (60 by default), reading the chain heads from the ledger; it did not fire during the run.',
  },
  {
    role: 'AuditCheckpointsHandlerRole',
    actions: ['kms:Sign'],
    why: 'Audit checkpoints: each checkpoint is signed with the signing key (SignCommand in shared/audit/checkpoints.ts) when the Schedule rule fires (every 60 minutes by default); it did not fire during the run.',
  },
  {
    role: 'AuditCheckpointsHandlerRole',
    actions: ['s3:PutObject'],
    resource: '/checkpoints/',
    why: 'Audit checkpoints: the signed checkpoint is written under checkpoints/ (PutObjectCommand in shared/audit/checkpoints.ts) when the Schedule rule fires (every 60 minutes by default); it did not fire during the run.',
  },
  {
    role: 'TrafficHookRole',
    actions: ['lambda:InvokeFunction'],
    resource: ':function:gantry-sample-service-preview',
    why: 'Traffic hooks of another environment: the hook (shared/deploy/hook.ts) invokes the new version of the function its deployment group shifts, one grant per environment; the develop push deploys to dev only.',
  },
  {
    role: 'TrafficHookRole',
    actions: ['lambda:InvokeFunction'],
    resource: ':function:gantry-sample-service-staging',
    why: 'Traffic hooks of another environment: the hook (shared/deploy/hook.ts) invokes the staging function only during a staging deployment; the develop push deploys to dev only.',
  },
  {
    role: 'TrafficHookRole',
    actions: ['lambda:InvokeFunction'],
    resource: ':function:gantry-sample-service-prod',
    why: 'Traffic hooks of another environment: the hook (shared/deploy/hook.ts) invokes the prod function only during a prod deployment; the develop push deploys to dev only.',
  },
  ...['preview', 'staging'].flatMap((environment): UnusedGrantEntry[] => [
    {
      role: 'GantrySampleService-TrafficHookRole',
      actions: ['codedeploy:PutLifecycleEventHookExecutionStatus'],
      resource: `deploymentgroup:gantry-sample-service/${environment}`,
      why: `The ${environment} group's traffic hook reports its status only during a ${environment} deployment (local IAM decides it on the group the deployment id belongs to, as CodeDeploy acts on the id); the develop push deploys to dev only.`,
    },
    {
      role: 'GantrySampleService-TrafficHookRole',
      actions: ['codedeploy:GetDeployment'],
      resource: `deploymentgroup:gantry-sample-service/${environment}`,
      why: `The traffic hook reads a ${environment} deployment (functions/traffic-hook) only when CodeDeploy invokes it for one; the develop push deploys to dev only.`,
    },
  ]),

  // The build projects: the CodeBuild service acts with the project's role; locally the emulator does it itself.
  {
    role: BUILD_ROLES,
    actions: ['s3:GetObject', 's3:GetObjectVersion'],
    resource: '/sources/',
    why: "The build's source: CodeBuild downloads the source snapshot (S3 source type, sources/<pipeline>/...) with the project's service role; the local build emulator fetches the snapshot itself.",
  },
  {
    role: BUILD_ROLES,
    actions: ['s3:PutObject'],
    why: "The build's artifacts: CodeBuild uploads them (releases/<pipeline>/ungated/ or releases/<pipeline>/gated/ for the trusted builds, untrusted/ for the untrusted one) with the project's service role; the local build emulator stores them itself.",
  },
  {
    role: BUILD_ROLES,
    actions: ['s3:GetBucketAcl', 's3:GetBucketLocation'],
    why: "CodeBuild checks the artifacts bucket's ACL and region with the project's service role before it uploads artifacts (prefix-artifacts.ts); the local build emulator does not.",
  },
  {
    role: BUILD_ROLES,
    actions: [
      'codebuild:CreateReportGroup',
      'codebuild:CreateReport',
      'codebuild:UpdateReport',
      'codebuild:BatchPutTestCases',
      'codebuild:BatchPutCodeCoverages',
    ],
    why: "CodeBuild's test and coverage reports (the project's report groups): the CodeBuild service creates the report and uploads its cases with the project's service role; the local build emulator records the reports itself.",
  },
  {
    role: BUILD_ROLES,
    actions: ['codebuild:CreateReport', 'codebuild:UpdateReport', 'codebuild:BatchPutTestCases'],
    resource: '-tests',
    why: "The tests report group (group.grantWrite in infra/constructs/pipeline/pipeline.ts): written by the CodeBuild service with the project's service role; the local build emulator records the report itself.",
  },
  {
    role: BUILD_ROLES,
    actions: ['codebuild:CreateReport', 'codebuild:UpdateReport', 'codebuild:BatchPutCodeCoverages'],
    resource: '-coverage',
    why: "The coverage report group (group.grantWrite in infra/constructs/pipeline/pipeline.ts): written by the CodeBuild service with the project's service role; the local build emulator records the report itself.",
  },
  // Prod lives in a second account (222222222222 locally): a develop push never goes there.
  {
    role: /-PipelineStepsdeployreleaseRole/,
    actions: ['sts:AssumeRole', 'sts:TagSession'],
    resource: ':role/gantry-deploy-',
    why: "Releasing into prod's account: the Deploy step assumes the target's release role (TargetSessions in shared/aws/target-sessions.ts, granted by TargetAccounts.grantAssumeTargetRoles) only for a run whose environment lives there; a develop push deploys dev, in the control plane's account.",
  },
  {
    role: /-PipelineStepsdeployverifyRole/,
    actions: ['sts:AssumeRole', 'sts:TagSession'],
    resource: ':role/gantry-verify-',
    why: "Checking a release in prod's account: DeployCheck assumes the target's verify role (reconcile, bake alarms, rollback) only for a run whose environment lives there; a develop push deploys dev, in the control plane's account.",
  },
  {
    role: /-(PipelineSteps(resolveplan|recordfailure)|DeploymentsEvents|OperatorApiHandler)Role/,
    actions: ['sts:AssumeRole', 'sts:TagSession'],
    resource: ':role/gantry-stop-',
    why: "Stopping or reading a deployment in prod's account: these steps assume the target's stop role only for a run whose environment lives there (a cancel, a superseded or failed run, a forwarded state change); a develop push deploys dev, in the control plane's account.",
  },
  {
    role: 'GantrySampleService-222222222222-TrafficHookRole',
    actions: ['codedeploy:PutLifecycleEventHookExecutionStatus'],
    resource: 'deploymentgroup:gantry-sample-service/prod',
    why: "Prod's traffic hook, in prod's account: CodeDeploy invokes it only during a deployment to prod (its group's hook), which a develop push never makes; dev's hook is the control plane account's.",
  },
  {
    role: 'GantrySampleService-222222222222-TrafficHookRole',
    actions: ['codedeploy:GetDeployment'],
    resource: 'deploymentgroup:gantry-sample-service/prod',
    why: "Prod's traffic hook reads the deployment it checks (functions/traffic-hook) only when CodeDeploy invokes it for a deployment to prod, which a develop push never makes.",
  },
];

/** Whether `entry` covers `grant`: its role, exactly its actions, and its resource if it names one. */
export function covers(entry: UnusedGrantEntry, grant: UnusedGrant): boolean {
  // A role with a name of its own (a step role that target accounts trust: gantry-<step>-<region>)
  // is known by its policy's logical name, which starts with the role's (`-` as after a stack name).
  const names = [grant.role, `-${grant.source}`];
  const role = names.some((name) =>
    typeof entry.role === 'string' ? name.includes(entry.role) : entry.role.test(name),
  );
  const actions = new Set(entry.actions);
  return (
    role &&
    grant.actions.length === actions.size &&
    grant.actions.every((a) => actions.has(a)) &&
    (entry.resource === undefined || grant.resources.some((r) => r.includes(entry.resource ?? '')))
  );
}

/** The unused grants no entry covers: each needs a reviewed reason (or removing from infra/). */
export function uncoveredGrants(grants: readonly UnusedGrant[], entries = UNUSED_GRANTS): string[] {
  return grants
    .filter((g) => !entries.some((e) => covers(e, g)))
    .map((g) => `${g.role}: ${g.actions.join(', ')} on ${g.resources.join(', ')} [${g.source}]`);
}

/** The entries that cover no unused grant: the code now uses the grant, or the grant is gone. */
export function staleEntries(grants: readonly UnusedGrant[], entries = UNUSED_GRANTS): string[] {
  return entries
    .filter((e) => !grants.some((g) => covers(e, g)))
    .map((e) => `${String(e.role)}: ${e.actions.join(', ')}${e.resource ? ` on *${e.resource}*` : ''} (${e.why})`);
}
