import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/**
 * uPlot line charts sized to their container (a laptop panel or a 1080p wallboard tile) and
 * redrawn on resize. Series colours follow the stage palette in styles.css.
 */
export const COLORS = ['#4f8cff', '#f5a524', '#e5484d', '#30a46c', '#8e4ec6', '#12a594'];

export interface LineSeries {
  label: string;
  color?: string;
  unit?: string;
}

export class LineChart {
  private plot: uPlot | undefined;
  private readonly observer: ResizeObserver;

  constructor(
    readonly el: HTMLElement,
    private readonly series: LineSeries[],
    private readonly options: { height?: number; yLabel?: string; bars?: boolean } = {},
  ) {
    el.classList.add('chart');
    this.observer = new ResizeObserver(() => this.resize());
    this.observer.observe(el);
  }

  /** x: seconds since the epoch; ys: one array per series (null for a gap). */
  set(x: number[], ys: (number | null)[][]): void {
    const data = [x, ...ys] as uPlot.AlignedData;
    if (this.plot) {
      this.plot.setData(data);
      return;
    }
    const width = Math.max(this.el.clientWidth, 300);
    this.plot = new uPlot(
      {
        width,
        height: this.options.height ?? Math.max(180, Math.round(width / 3.2)),
        cursor: { drag: { x: false, y: false } },
        legend: { show: true },
        // uPlot widens a single time point by 86,400 "ms" — about 2.7 years with x in seconds —
        // before asking us, so the first poll alone spanned years: show a minute up to it.
        scales: {
          x: {
            time: true,
            range: (u, min, max) => {
              const xs = u.data[0];
              if (xs.length >= 2 && max - min >= 60) return [min, max];
              const last = xs.length > 0 ? xs[xs.length - 1]! : max;
              return [last - 60, last + 5];
            },
          },
        },
        axes: [
          { stroke: '#9aa4b2', grid: { stroke: '#2a3140' } },
          { stroke: '#9aa4b2', grid: { stroke: '#2a3140' }, label: this.options.yLabel ?? '', size: 60 },
        ],
        series: [
          {},
          ...this.series.map((s, i) => ({
            label: s.label,
            stroke: s.color ?? COLORS[i % COLORS.length],
            width: 2,
            spanGaps: false,
            points: { show: x.length < 3 },
            ...(this.options.bars
              ? {
                  paths: uPlot.paths.bars!({ size: [0.6, 40] }),
                  fill: `${s.color ?? COLORS[i % COLORS.length]}88`,
                }
              : {}),
            value: (_u: uPlot, v: number | null) => (v === null ? '–' : `${v.toFixed(1)}${s.unit ?? ''}`),
          })),
        ],
      },
      data,
      this.el,
    );
  }

  private resize(): void {
    if (!this.plot) return;
    const width = Math.max(this.el.clientWidth, 300);
    this.plot.setSize({ width, height: this.options.height ?? Math.max(180, Math.round(width / 3.2)) });
  }

  destroy(): void {
    this.observer.disconnect();
    this.plot?.destroy();
  }
}
