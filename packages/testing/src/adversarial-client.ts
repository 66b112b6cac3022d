// The adversarial suite's HTTP client: the contract's Browser, recording every status it saw.
import { expect } from 'vitest';
import { SID } from './adversarial-context.js';
import { Browser, type Reply } from './test-browser.js';

/** The Browser of the contract suite, recording every status it saw (5xx fails the test). */
export class Client extends Browser {
  constructor(
    base: string,
    readonly seen: number[],
  ) {
    super(base);
  }

  override async send(...args: Parameters<Browser['send']>): Promise<Reply> {
    const r = await super.send(...args);
    this.seen.push(r.status);
    return r;
  }

  /** Create an anonymous session (one write) and answer its token. */
  async anonymous(): Promise<string> {
    await this.state();
    const r = await this.send('POST', '/set', { json: { key: 'seed', value: 1 } });
    expect(r.status).toBe(204);
    // The session's own CSRF token from now on (not the pre-session one).
    await this.state();
    return this.jar.get(SID)!;
  }

  async signIn(userId: string): Promise<string> {
    const r = await this.login(userId);
    expect(r.status).toBe(200);
    return this.jar.get(SID)!;
  }
}
