/** The CloudHSM clusters (DescribeClusters): state, HSMs and their availability zones. */
import { call, type Session } from '../api.ts';
import { Show, formatDate, useLoad } from '../ui.tsx';

interface Hsm { readonly HsmId?: string; readonly AvailabilityZone?: string; readonly State?: string; readonly EniIp?: string }
interface Cluster { readonly ClusterId: string; readonly State?: string; readonly HsmType?: string; readonly CreateTimestamp?: number; readonly Hsms?: readonly Hsm[] }

export function HsmClusters({ session }: { session: Session }) {
  const [clusters] = useLoad(() => call<{ Clusters?: Cluster[] }>(session, 'cloudhsm', 'DescribeClusters', {}), [session]);
  return (
    <section>
      <h1>HSM clusters</h1>
      <Show loaded={clusters} render={(r) => (r.Clusters ?? []).length === 0 ? <p class="muted">No HSM clusters.</p> : (
        <table>
          <thead><tr><th>Cluster</th><th>State</th><th>Type</th><th>HSMs</th><th>Created</th></tr></thead>
          <tbody>{(r.Clusters ?? []).map((c) => (
            <tr key={c.ClusterId}>
              <td class="mono">{c.ClusterId}</td><td>{c.State ?? ''}</td><td>{c.HsmType ?? ''}</td>
              <td>{(c.Hsms ?? []).map((h) => <div key={h.HsmId}>{h.HsmId} ({h.AvailabilityZone ?? '?'}, {h.State ?? '?'})</div>)}</td>
              <td>{formatDate(c.CreateTimestamp)}</td>
            </tr>
          ))}</tbody>
        </table>
      )} />
    </section>
  );
}
