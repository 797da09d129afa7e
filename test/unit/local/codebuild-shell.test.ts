import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BuildShell } from '../../../local/codebuild/shell';

/** A build's shell session, started in a fresh folder. */
function session(): { shell: BuildShell; stateDir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-shell-'));
  const stateDir = join(dir, 'state');
  mkdirSync(stateDir, { mode: 0o700 });
  const shell = BuildShell.start({
    cwd: dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    stateDir,
    posix: false,
    bash: '/bin/bash',
    onOutput: () => undefined,
  });
  return { shell, stateDir };
}

describe("a build's shell session", () => {
  it("never sources the user's ~/.bashrc, though its stdin is a socket (which bash takes for an ssh session)", async () => {
    const home = mkdtempSync(join(tmpdir(), 'gantry-home-'));
    writeFileSync(join(home, '.bashrc'), 'touch "$HOME/sourced"; exit 9\n');
    const dir = mkdtempSync(join(tmpdir(), 'gantry-shell-'));
    const stateDir = join(dir, 'state');
    mkdirSync(stateDir, { mode: 0o700 });
    const shell = BuildShell.start({
      cwd: dir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home },
      stateDir,
      posix: false,
      bash: '/bin/bash',
      onOutput: () => undefined,
    });
    try {
      expect(await shell.run('exit 3')).toBe(3);
      expect(existsSync(join(home, 'sourced'))).toBe(false);
    } finally {
      await shell.kill(1_000);
    }
  });

  it('runs a command and gives its exit status', async () => {
    const { shell } = session();
    try {
      expect(await shell.run('exit 3')).toBe(3);
      expect(await shell.run('true')).toBe(0);
    } finally {
      await shell.kill(1_000);
    }
  });

  it('answers a command whose script was still being written when the session was ended (StopBuild mid-write)', async () => {
    const { shell, stateDir } = session();
    // The command's script file is a FIFO: writing it waits until someone reads it, which holds
    // run() between its "is the session alive?" check and handing the script to the supervisor.
    const script = join(stateDir, 'command-1.sh');
    execFileSync('mkfifo', [script]);
    const pending = shell.run('sleep 30');
    await shell.kill(1_000);
    await readFile(script);
    // Before the fix this never settled: the build hung IN_PROGRESS and the runtime's close() with it.
    await expect(pending).resolves.toBeUndefined();
    expect(await shell.run('true')).toBeUndefined();
  });
});
