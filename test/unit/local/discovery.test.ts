import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { type RuntimeInfo, readRuntimeInfo, writeRuntimeInfo } from '../../../local/discovery';
import { UntrustedRuntimeError } from '../../../local/runtime-trust';

/** What a running local plane writes, for this test's own (live) process. */
function info(dataDir: string, over: Partial<RuntimeInfo> = {}): RuntimeInfo {
  return {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    region: 'us-east-1',
    accountId: '000000000000',
    webhookUrl: 'http://127.0.0.1:8080',
    awsEndpoint: 'http://127.0.0.1:4566',
    dataDir,
    operatorApiUrl: 'https://abc123.execute-api.us-east-1.amazonaws.com/prod/',
    services: [{ functionName: 'api', alias: 'live', url: 'http://localhost:9001' }],
    ...over,
  };
}

/** A data folder whose runtime.json is `text`, with `mode`, as a checkout could carry it. */
function carried(text: RuntimeInfo, mode = 0o644): string {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-discovery-'));
  writeFileSync(join(dir, 'runtime.json'), JSON.stringify(text), { mode });
  chmodSync(join(dir, 'runtime.json'), mode);
  return dir;
}

/** The check a refusal names, or 'none' when the file was followed (or ignored as ended). */
function refusal(dir: string): string {
  try {
    readRuntimeInfo(dir);
    return 'none';
  } catch (error) {
    if (error instanceof UntrustedRuntimeError) return error.check;
    throw error;
  }
}

describe('readRuntimeInfo', () => {
  const dir = () => mkdtempSync(join(tmpdir(), 'gantry-discovery-'));

  it('follows the runtime.json a running local plane wrote', () => {
    const data = dir();
    writeRuntimeInfo(data, info(data));
    expect(readRuntimeInfo(data)).toMatchObject({ pid: process.pid, awsEndpoint: 'http://127.0.0.1:4566' });
  });

  it('reads a runtime.json whose process has ended as no plane, not as a refusal', () => {
    const data = dir();
    const ended = spawnSync(process.execPath, ['-e', '0']).pid;
    writeRuntimeInfo(data, info(data, { pid: ended }));
    expect(readRuntimeInfo(data)).toBeUndefined();
  });

  it("refuses a checkout's runtime.json (0644, as git writes it), naming the mode", () => {
    const data = carried(info('.gantry'));
    expect(() => readRuntimeInfo(data)).toThrow(/its mode is 0644, not 0600.*--data-dir.*--region/);
  });

  it('refuses a runtime.json that is a link, even to a private file', () => {
    const real = dir();
    writeRuntimeInfo(real, info(real));
    const data = dir();
    symlinkSync(join(real, 'runtime.json'), join(data, 'runtime.json'));
    expect(refusal(data)).toBe('file');
  });

  it("refuses another user's runtime.json, 0600 or not", () => {
    const data = carried(info('.gantry'), 0o600);
    const me = process.getuid?.() ?? 0;
    // As another user (4242) reading this user's file: chown would need root.
    const uid = jest.spyOn(process, 'getuid').mockReturnValue(me + 4242);
    try {
      expect(() => readRuntimeInfo(data)).toThrow(new RegExp(`belongs to user ${me}, not to you \\(${me + 4242}\\)`));
    } finally {
      uid.mockRestore();
    }
  });

  it.each([
    ['awsEndpoint', { awsEndpoint: 'https://evil.example' }],
    ['webhookUrl', { webhookUrl: 'http://127.0.0.2:8080' }],
    ['webhookUrl', { webhookUrl: 'http://127.0.0.1@evil.example' }],
    ['services url of api', { services: [{ functionName: 'api', alias: 'live', url: 'https://evil.example' }] }],
  ])('refuses a private runtime.json whose %s is not loopback http', (field, over) => {
    const data = carried(info('.gantry', over), 0o600);
    expect(() => readRuntimeInfo(data)).toThrow(new RegExp(`its ${field} is .*not an http URL on 127\\.0\\.0\\.1`));
  });

  it("refuses a pid that is alive but not this user's (EPERM)", () => {
    const data = carried(info('.gantry', { pid: 4242 }), 0o600);
    const kill = jest.spyOn(process, 'kill').mockImplementation(() => {
      throw Object.assign(new Error('kill EPERM'), { code: 'EPERM' });
    });
    try {
      expect(() => readRuntimeInfo(data)).toThrow(/its pid 4242 is not a process of yours \(EPERM\)/);
    } finally {
      kill.mockRestore();
    }
  });

  it('refuses pid 1 even where signal 0 reaches it (root, or a container whose init is yours)', () => {
    const data = carried(info('.gantry', { pid: 1 }), 0o600);
    const kill = jest.spyOn(process, 'kill').mockImplementation(() => true);
    try {
      expect(() => readRuntimeInfo(data)).toThrow(/its pid 1 is init, never a local plane/);
    } finally {
      kill.mockRestore();
    }
  });

  it.each([0, -1])('refuses pid %d, which would signal a whole process group', (pid) => {
    const data = carried(info('.gantry', { pid }), 0o600);
    expect(refusal(data)).toBe('pid');
  });
});
