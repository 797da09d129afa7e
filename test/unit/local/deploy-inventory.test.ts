import { PROJECT_ROOT } from '../../../infra/paths';
import { inventoryOf } from '../../../local/template/inventory';
import { TemplateResolver } from '../../../local/template/resolver';
import { TemplateError } from '../../../local/template/types';
import { APPLICATION, ERROR_RATE_ALARM, FUNCTION_NAME, GROUP, LATENCY_ALARM, serviceStack } from './deploy-fixtures';

const env = { region: 'eu-west-1', accountId: '000000000000', edgeEndpoint: 'http://127.0.0.1:4566' };
const inventory = (template = serviceStack('examples/sample-service')) =>
  inventoryOf(new TemplateResolver([template], env));

describe('the inventory of a service stack', () => {
  it('collects a gantry:service function as a service, not as a worker function', () => {
    const inv = inventory();
    expect(inv.functions).toEqual([]);
    expect(inv.services).toEqual([
      {
        name: FUNCTION_NAME,
        arn: `arn:aws:lambda:eu-west-1:000000000000:function:${FUNCTION_NAME}`,
        folder: 'examples/sample-service',
        codeDir: `${PROJECT_ROOT}/examples/sample-service`,
        handlerModule: 'src/lambda',
        handlerExport: 'handler',
        runtime: 'nodejs20.x',
        environment: { GREETING: 'hello', STAGE: 'local-dev' },
        timeoutSeconds: 5,
        memoryMb: 256,
        aliases: [{ name: 'live', version: '1' }],
      },
    ]);
  });

  it('reads the CodeDeploy application, its group with alarms and auto-rollback, and custom configurations', () => {
    const { codeDeploy } = inventory();
    expect(codeDeploy.applications).toEqual([{ name: APPLICATION, id: expect.any(String), computePlatform: 'Lambda' }]);
    expect(codeDeploy.groups).toEqual([
      {
        application: APPLICATION,
        name: GROUP,
        id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/),
        deploymentConfigName: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
        serviceRoleArn: 'arn:aws:iam::000000000000:role/GantrySampleService-Role',
        alarms: { enabled: true, ignorePollAlarmFailure: false, names: [ERROR_RATE_ALARM, LATENCY_ALARM] },
        autoRollback: {
          enabled: true,
          events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST', 'DEPLOYMENT_STOP_ON_ALARM'],
        },
        deploymentStyle: { type: 'BLUE_GREEN', option: 'WITH_TRAFFIC_CONTROL' },
      },
    ]);
    expect(codeDeploy.configs).toEqual([
      {
        name: 'gantry-linear-25',
        computePlatform: 'Lambda',
        routing: { type: 'TimeBasedLinear', percentage: 25, intervalMinutes: 1 },
      },
    ]);
  });

  it('reads a metric math alarm and a percentile alarm with their resolved dimensions', () => {
    const [errorRate, latency] = inventory().alarms;
    const dimensions = { FunctionName: FUNCTION_NAME, Resource: `${FUNCTION_NAME}:live` };
    expect(errorRate).toEqual({
      name: ERROR_RATE_ALARM,
      arn: `arn:aws:cloudwatch:eu-west-1:000000000000:alarm:${ERROR_RATE_ALARM}`,
      comparison: 'GreaterThanThreshold',
      threshold: 5,
      evaluationPeriods: 1,
      periodSeconds: 60,
      treatMissingData: 'notBreaching',
      queries: [
        {
          id: 'errors',
          returnData: false,
          metric: { namespace: 'AWS/Lambda', name: 'Errors', dimensions, stat: 'Sum' },
        },
        {
          id: 'invocations',
          returnData: false,
          metric: { namespace: 'AWS/Lambda', name: 'Invocations', dimensions, stat: 'Sum' },
        },
        { id: 'rate', returnData: true, expression: '100 * errors / MAX([errors, invocations])' },
      ],
    });
    expect(latency).toMatchObject({
      name: LATENCY_ALARM,
      periodSeconds: 60,
      threshold: 1000,
      treatMissingData: 'missing',
      queries: [{ id: 'm1', returnData: true, metric: { name: 'Duration', dimensions, stat: 'p99' } }],
    });
  });

  it('refuses a custom configuration it cannot run, naming the resource', () => {
    const template = serviceStack('svc');
    const resources = { ...template.template.Resources };
    resources.Linear = {
      Type: 'AWS::CodeDeploy::DeploymentConfig',
      Properties: { ComputePlatform: 'Lambda', TrafficRoutingConfig: { Type: 'TimeBasedLinear' } },
    };
    expect(() => inventory({ ...template, template: { Resources: resources } })).toThrow(TemplateError);
    expect(() => inventory({ ...template, template: { Resources: resources } })).toThrow(/GantrySampleService\/Linear/);
  });

  it('still refuses a function that is neither a GantryFunction nor a service', () => {
    const template = serviceStack('svc');
    const resources = { ...template.template.Resources };
    resources.Stray = { Type: 'AWS::Lambda::Function', Properties: { Handler: 'index.handler' } };
    expect(() => inventory({ ...template, template: { Resources: resources } })).toThrow(/gantry:service/);
  });
});
