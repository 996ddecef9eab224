/**
 * Cache coherence between writers that share storage (workers on one data folder, nodes on one
 * PostgreSQL database). Each commit leaves a notice naming what it touched, as topics:
 *
 *   key:<arn>               the key's record or its materials changed (re-read both)
 *   key-deleted:<arn>       the key is gone (forget it, with its unwrapped material)
 *   material-deleted:<arn>  a version of its material was deleted (forget its unwrapped material)
 *   grant:<arn>             a grant on the key was made, retired or revoked
 *   alias                   an alias was made, moved or deleted
 *   identity                an IAM entity, policy, membership, attachment or access key changed
 *   custom-key-store:<id>   a custom key store changed (its state: sessions opened or closed)
 *
 * and every other process polls the feed and drops what those topics name from its caches, so a
 * change made anywhere takes effect everywhere within one poll interval (plus the poll's own
 * time). When the feed says notices may have been lost (it could not be read for too long), every
 * cache is dropped. A commit's own process updates its caches from the change set itself
 * (committer.ts); the notice is for the others.
 */
import type { Change } from '../ports/changes.ts';
import type { ChangeFeed } from '../ports/storage.ts';

/** The topics of a change set (deduplicated; usage records and STS sessions name none). */
export function topicsOf(changes: readonly Change[]): string[] {
  const topics = new Set<string>();
  for (const c of changes) {
    switch (c.kind) {
      case 'putKey': topics.add(`key:${c.key.arn}`); break;
      case 'deleteKey': topics.add(`key-deleted:${c.arn}`); break;
      case 'putMaterial': topics.add(`key:${c.material.keyArn}`); break;
      case 'deleteMaterial': topics.add(`key:${c.keyArn}`).add(`material-deleted:${c.keyArn}`); break;
      case 'putGrant': case 'deleteGrant': topics.add(`grant:${c.grant.keyArn}`); break;
      case 'putAlias': case 'deleteAlias': topics.add('alias'); break;
      case 'putUsage': case 'setMeta': case 'putSession': case 'purgeSessions': break;
      // Clusters are read from the repository on every call: no cache to drop.
      case 'putCluster': case 'purgeCluster': break;
      case 'putCustomKeyStore': topics.add(`custom-key-store:${c.store.id}`); break;
      case 'deleteCustomKeyStore': topics.add(`custom-key-store:${c.id}`); break;
      default: topics.add('identity'); break;
    }
  }
  return [...topics];
}

/** A cache that drops what a topic names (or everything). */
export interface TopicListener {
  invalidate(topics: readonly string[]): void;
  invalidateAll(): void;
}

export interface CoherenceOptions {
  readonly feed: ChangeFeed;
  readonly listeners: readonly TopicListener[];
  readonly intervalMs: number;
  readonly onError: (e: unknown) => void;
}

/** Polls the feed every `intervalMs` (never two polls at once) until stopped. */
export class Coherence {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  /** Notices applied (metrics, tests). */
  applied = 0;

  constructor(private readonly o: CoherenceOptions) {}

  start(): void {
    const tick = (): void => {
      if (this.stopped) return;
      this.running = this.pollOnce().finally(() => {
        this.running = undefined;
        if (!this.stopped) this.timer = setTimeout(tick, this.o.intervalMs);
      });
    };
    this.timer = setTimeout(tick, this.o.intervalMs);
    this.timer.unref();
  }

  async pollOnce(): Promise<void> {
    try {
      const { notices, lost } = await this.o.feed.poll();
      if (lost) {
        for (const l of this.o.listeners) l.invalidateAll();
        return;
      }
      for (const n of notices) {
        for (const l of this.o.listeners) l.invalidate(n.topics);
        this.applied++;
      }
    } catch (e) {
      this.o.onError(e);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
