import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { workerDataFileReader } from '../../../cli/workers/export-readers';
import { CHAIN_REGISTRY, registrySeq } from '../../../shared/audit/ledger';
import { ExportUnreadableError } from '../../../shared/audit/table-export';

const file = (gz: Buffer, itemCount: number) => ({
  dataFileS3Key: 'ledger/AWSDynamoDB/x/data/a.json.gz',
  itemCount,
  md5Checksum: createHash('md5').update(gz).digest('base64'),
});

describe('workerDataFileReader', () => {
  it('reads a data file in a worker thread into its part', async () => {
    const readers = workerDataFileReader(1);
    try {
      // A registry entry as the ledger writes it: at the seq its chain's name gives.
      const seq = String(registrySeq('acme/app'));
      const line = { Item: { chain: { S: CHAIN_REGISTRY }, seq: { N: seq }, name: { S: 'acme/app' } } };
      const gz = gzipSync(`${JSON.stringify(line)}\n`);
      const part = await readers.read(gz, file(gz, 1));
      expect(part).toEqual({
        chains: [],
        total: 0,
        items: {
          registered: ['acme/app'],
          keys: [`${CHAIN_REGISTRY}\u0000${seq}`],
          claims: [],
          keyed: [],
          markers: [],
          recorded: [],
        },
      });
    } finally {
      await readers.close();
    }
  });

  it('gives back a refusal as the ExportUnreadableError reading it here would throw', async () => {
    const readers = workerDataFileReader(1);
    try {
      const gz = Buffer.from('not gzip');
      await expect(readers.read(gz, file(gz, 1))).rejects.toThrow(ExportUnreadableError);
      await expect(readers.read(gz, file(gz, 1))).rejects.toThrow(/is not gzip/);
    } finally {
      await readers.close();
    }
  });

  it('fails every read once its threads have stopped, rather than waiting forever', async () => {
    const readers = workerDataFileReader(2);
    await readers.close();
    const gz = gzipSync('');
    await expect(readers.read(gz, file(gz, 0))).rejects.toThrow(/closed/);
  });
});
