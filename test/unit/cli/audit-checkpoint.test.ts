import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { checkpointNow } from '../../../cli/audit';
import type { Target } from '../../../cli/target';

const target: Target = { kind: 'aws', region: 'us-east-1', profile: undefined, clientConfig: { region: 'us-east-1' } };
const lambda = mockClient(LambdaClient);
const cloudFormation = mockClient(CloudFormationClient);
const kms = mockClient(KMSClient);

beforeEach(() => {
  lambda.reset();
  cloudFormation.reset();
  kms.reset();
  delete process.env.GANTRY_AUDIT_CHECKPOINT_FUNCTION;
  cloudFormation.on(DescribeStacksCommand, { StackName: 'GantryControlPlane' }).resolves({
    Stacks: [
      {
        StackName: 'GantryControlPlane',
        CreationTime: new Date(),
        StackStatus: 'CREATE_COMPLETE',
        Outputs: [
          { OutputKey: 'AuditCheckpointFunction', OutputValue: 'GantryControlPlane-AuditCheckpointsHandler-x' },
        ],
      },
    ],
  });
});

describe('gantry audit checkpoint in AWS', () => {
  it('asks the checkpoint function, the one principal the key lets sign, and never signs itself', async () => {
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      Payload: Buffer.from(JSON.stringify({ key: 'checkpoints/2026/12/07/x.json', chains: 3 })) as never,
    });
    await expect(checkpointNow(target)).resolves.toEqual({ key: 'checkpoints/2026/12/07/x.json', chains: 3 });
    expect(lambda.commandCalls(InvokeCommand).map((c) => c.args[0].input.FunctionName)).toEqual([
      'GantryControlPlane-AuditCheckpointsHandler-x',
    ]);
    expect(kms.commandCalls(SignCommand)).toEqual([]);
  });

  it('says what failed when the function fails', async () => {
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: Buffer.from(JSON.stringify({ errorMessage: 'AccessDeniedException: kms:Sign' })) as never,
    });
    await expect(checkpointNow(target)).rejects.toThrow(
      /^the checkpoint function GantryControlPlane-AuditCheckpointsHandler-x failed \(Unhandled\): .*AccessDeniedException/,
    );
  });
});
