/** A chart of requests per operation (stacked bars) and errors (a line) over a time window, drawn as SVG with classes only (CSP: no inline style). */
import { useState } from 'preact/hooks';
import type { Session } from '../api.ts';
import { loadActivity, type Activity as Data } from '../activity-data.ts';
import { Show, formatDate, useLoad } from '../ui.tsx';

const W = 720, H = 260, LEFT = 40, BOTTOM = 24, TOP_PAD = 10;
const WINDOWS = [[15, '15 minutes'], [60, '1 hour'], [360, '6 hours'], [1440, '24 hours']] as const;

function Chart({ data }: { data: Data }) {
  const n = data.counts.length;
  const max = Math.max(1, ...data.counts.map((row) => row.reduce((a, b) => a + b, 0)), ...data.errors);
  const plotW = W - LEFT - 8, plotH = H - BOTTOM - TOP_PAD;
  const bw = plotW / n;
  const y = (v: number): number => TOP_PAD + plotH - (v / max) * plotH;
  const errorPoints = data.errors.map((v, i) => `${(LEFT + bw * (i + 0.5)).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label="Requests per operation and errors over time">
        <line class="axis" x1={LEFT} y1={TOP_PAD + plotH} x2={W - 8} y2={TOP_PAD + plotH} />
        <line class="axis" x1={LEFT} y1={TOP_PAD} x2={LEFT} y2={TOP_PAD + plotH} />
        <text class="label" x={LEFT - 4} y={TOP_PAD + 8} text-anchor="end">{max}</text>
        <text class="label" x={LEFT - 4} y={TOP_PAD + plotH} text-anchor="end">0</text>
        {data.counts.map((row, i) => {
          let base = 0;
          return row.map((v, s) => {
            if (v === 0) return null;
            const top = y(base + v), bottom = y(base);
            base += v;
            return <rect key={`${i}-${s}`} class={`series-${s}`} x={LEFT + bw * i + 1} y={top} width={Math.max(1, bw - 2)} height={bottom - top}><title>{`${data.series[s]}: ${v}`}</title></rect>;
          });
        })}
        <polyline class="errors" points={errorPoints} />
        <text class="label" x={LEFT} y={H - 6}>{formatDate(data.start / 1000)}</text>
        <text class="label" x={W - 8} y={H - 6} text-anchor="end">{formatDate(data.end / 1000)}</text>
      </svg>
      <figcaption>
        <ul class="legend">
          {data.series.map((s, i) => <li key={s}><span class={`swatch series-${i}`} />{s}</li>)}
          <li><span class="swatch errors" />errors ({data.errorTotal})</li>
        </ul>
      </figcaption>
    </figure>
  );
}

export function Activity({ session }: { session: Session }) {
  const [minutes, setMinutes] = useState(60);
  const [data, reload] = useLoad(() => loadActivity(session, minutes), [session, minutes]);
  return (
    <section>
      <div class="toolbar">
        <h1>Activity</h1>
        <select aria-label="Window" value={String(minutes)} onChange={(e) => setMinutes(Number(e.currentTarget.value))}>
          {WINDOWS.map(([m, label]) => <option key={m} value={String(m)}>{label}</option>)}
        </select>
        <button type="button" class="secondary" onClick={reload}>Refresh</button>
      </div>
      <Show loaded={data} render={(d) => (
        <>
          <p class="muted">{d.total} requests, {d.errorTotal} errors, from the audit trail{d.truncated ? ` (only the newest ${d.total}: from ${formatDate(d.coveredFrom / 1000)})` : ''}.</p>
          <Chart data={d} />
        </>
      )} />
    </section>
  );
}
