/**
 * Long polls parked on a queue. A ReceiveMessage with WaitTimeSeconds waits here until something
 * may have become receivable (a send, a visibility change) or a deadline passes, so it answers as
 * soon as a message arrives instead of at the end of its wait.
 */
export class Waiters {
  private readonly parked = new Set<() => void>();
  private closedFlag = false;

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Resolves on the next `wake()`, after `delayMs`, or at `close()`, whichever comes first. */
  wait(delayMs: number): Promise<void> {
    if (this.closedFlag) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.parked.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, delayMs));
      this.parked.add(done);
    });
  }

  /** Lets every parked poll look again. */
  wake(): void {
    for (const done of [...this.parked]) done();
  }

  /** Releases every parked poll for good: the service is shutting down. */
  close(): void {
    this.closedFlag = true;
    this.wake();
  }
}
