/**
 * Reading and steering a local Redis Cluster from a test: who is master of which slots,
 * which replica follows it, a node's pid (to SIGKILL exactly that process), and waiting for
 * replication and promotions. Plain RESP over `redisCommand`, independent of the client
 * under test.
 */
import { redisCommand, waitFor } from '@tessera/test-support';

export interface ClusterNode {
  readonly id: string;
  readonly port: number;
  readonly master: boolean;
  /** For a replica, the id of the master it follows. */
  readonly masterId: string | null;
  readonly failed: boolean;
  readonly slots: readonly (readonly [number, number])[];
}

export async function clusterNodes(askPort: number): Promise<ClusterNode[]> {
  const text = await redisCommand(askPort, 'CLUSTER NODES');
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [id, addr, flags, master, , , , , ...slots] = line.split(' ');
      const flagList = (flags ?? '').split(',');
      return {
        id: id ?? '',
        port: Number(/:(\d+)@/.exec(addr ?? '')?.[1]),
        master: flagList.includes('master'),
        masterId: master && master !== '-' ? master : null,
        failed: flagList.includes('fail') || flagList.includes('fail?'),
        slots: slots
          .filter((s) => /^\d/.test(s))
          .map((s) => {
            const [a, b] = s.split('-').map(Number);
            return [a!, b ?? a!] as const;
          }),
      };
    });
}

/** The live master serving `slot`, and its live replica (if any). */
export async function ownerOf(
  askPort: number,
  slot: number,
): Promise<{ master: ClusterNode; replica: ClusterNode | undefined }> {
  const nodes = await clusterNodes(askPort);
  const master = nodes.find((n) => n.master && !n.failed && n.slots.some(([a, b]) => slot >= a && slot <= b));
  if (!master) throw new Error(`no live master for slot ${slot}`);
  return { master, replica: nodes.find((n) => !n.master && !n.failed && n.masterId === master.id) };
}

export async function pidOf(port: number): Promise<number> {
  const info = await redisCommand(port, 'INFO server');
  const pid = Number(/process_id:(\d+)/.exec(info)?.[1]);
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`no process_id from port ${port}`);
  return pid;
}

export async function waitMaster(port: number, timeoutMs = 20_000): Promise<void> {
  await waitFor(
    async () => (await redisCommand(port, 'INFO replication')).includes('role:master'),
    timeoutMs,
    `node ${port} promoted to master`,
  );
}

export async function waitClusterOk(port: number, timeoutMs = 20_000): Promise<void> {
  await waitFor(
    async () => (await redisCommand(port, 'CLUSTER INFO')).includes('cluster_state:ok'),
    timeoutMs,
    `cluster_state:ok on ${port}`,
  );
}
