'use server';
// A server action may set cookies, but this one needs none: revoking another device changes
// only the store, through the manager's admin API, for the user readSession() found. Next.js
// refuses a server action whose Origin is not this host (its own CSRF check).
import { readSession } from '@tessera/session-web';
import { revalidatePath } from 'next/cache';
import { cookies, headers } from 'next/headers';
import { manager } from '../lib/sessions';

export async function revokeDevice(form: FormData): Promise<void> {
  const session = await readSession(manager, await cookies(), { headers: await headers() });
  const handle = form.get('handle');
  if (!session.userId || typeof handle !== 'string' || handle === session.handle) return;
  await manager.revokeSession(session.userId, handle);
  revalidatePath('/');
}
