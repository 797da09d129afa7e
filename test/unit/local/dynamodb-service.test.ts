import { join } from 'node:path';
import { dynamoDbService } from '../../../local/services/aws';
import type { ServiceContext } from '../../../local/services/context';
import { tempFolders } from '../../support/temp';

/** Local mode's DynamoDB service as the runtime starts it: dynalite's thread, then the template's tables. */
describe('local DynamoDB, started on a data folder another one holds', () => {
  const temp = tempFolders();

  it('fails the start with what stopped dynalite and what to do, not a bare refused connection', async () => {
    const dataDir = temp('gantry-dynamodb-service-');
    const table = {
      name: 'runs',
      create: {
        TableName: 'runs',
        KeySchema: [{ AttributeName: 'k', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'k', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      },
    };
    const ctx = { dataDir, region: 'us-east-1', inventory: { tables: [table] } } as unknown as ServiceContext;
    const first = await dynamoDbService(ctx).start();
    try {
      const second = dynamoDbService(ctx).start();
      await expect(second).rejects.toThrow(/^dynalite stopped as its tables were created \(its thread failed: .+\)/);
      await expect(second).rejects.toThrow(
        `if another \`gantry local up\` uses ${join(dataDir, 'dynamodb')}, stop it first, or give this one its own --data-dir`,
      );
    } finally {
      await first.close();
    }
  });
});
