/**
 * Demo users. Passwords are stored as scrypt hashes (N=16384, r=8, p=1) and compared in
 * constant time; an unknown user costs the same scrypt as a wrong password.
 */
import { scrypt, timingSafeEqual } from 'node:crypto';

const USERS: Readonly<Record<string, string>> = Object.freeze({
  alice: 'scrypt$16384$8$1$OCU5G8Z2wUzD7rAcePc4Bg$wTDvCecZ0VBFrZClVdQogNrHyeNPnIiqw1pp8BWg38I',
  bob: 'scrypt$16384$8$1$o2mqdBaQxBQB_-8thqFyVw$N2lvm8lCSchyciWrxgk5VugaSwRdYB4nbP4FQxAFj48',
});
const DUMMY = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

function derive(password: string, salt: Buffer, N: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, 32, { N, r, p, maxmem: 64 * 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/** The user id when the credentials are right, else null. */
export async function verifyPassword(username: unknown, password: unknown): Promise<string | null> {
  if (typeof username !== 'string' || typeof password !== 'string' || password.length > 1024) return null;
  const known = Object.hasOwn(USERS, username);
  const [, n, r, p, salt, hash] = (known ? USERS[username]! : DUMMY).split('$');
  const key = await derive(password, Buffer.from(salt!, 'base64url'), Number(n), Number(r), Number(p));
  const ok = timingSafeEqual(key, Buffer.from(hash!, 'base64url'));
  return known && ok ? username : null;
}
