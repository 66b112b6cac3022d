/** `resolveProto`: the scheme every adapter's CSRF origin uses, decided by the session's trustProxy (issue #17). */
import { describe, expect, it } from 'vitest';
import { resolveProto } from '../src/index.js';

describe('resolveProto', () => {
  it('ignores X-Forwarded-Proto unless the socket peer is trusted', () => {
    expect(resolveProto('203.0.113.9', 'https', false, 'http')).toBe('http');
    expect(resolveProto('203.0.113.9', 'https', 0, 'http')).toBe('http');
    expect(resolveProto('10.0.0.1', 'https', 1, 'http')).toBe('https');
    expect(resolveProto('::ffff:10.0.0.1', 'https', (a) => a === '10.0.0.1', 'http')).toBe('https');
    expect(resolveProto('203.0.113.9', 'https', (a) => a === '10.0.0.1', 'http')).toBe('http');
  });

  it('takes the first value, only http or https, and keeps the direct scheme otherwise', () => {
    expect(resolveProto('10.0.0.1', 'HTTPS, http', 1, 'http')).toBe('https');
    expect(resolveProto('10.0.0.1', 'javascript', 1, 'http')).toBe('http');
    expect(resolveProto('10.0.0.1', undefined, 1, 'https')).toBe('https');
    expect(resolveProto('10.0.0.1', '', 1, 'https')).toBe('https');
  });
});
