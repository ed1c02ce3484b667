import {
  Chart,
  Filler,
  Interaction,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  Tooltip,
  type InteractionItem,
  type InteractionModeFunction,
  type Plugin,
} from 'chart.js';
import { nearestIndexWithin, type ChartMark, type Point } from './chart-math.js';

declare module 'chart.js' {
  interface InteractionModeMap {
    /** The point nearest the pointer's x in every series: their values at one x on hover. */
    perSeries: InteractionModeFunction;
  }
}

// Only the parts the line charts use, so the bundle leaves the rest of Chart.js out.
Chart.register(
  LineController,
  LineElement,
  PointElement,
  LinearScale,
  LogarithmicScale,
  Filler,
  Legend,
  Tooltip,
);

/** How far past a series' ends, in pixels, the pointer still reads its end point. */
const endSlackPx = 4;

// Chart.js's own modes pick one point, or points at one index: series of different lengths
// (a live run's losses and its few quality points) need each series' value at the same x, and
// none from a series that has no point near there (a run that ended earlier).
Interaction.modes.perSeries = (chart, e) => {
  const area = chart.chartArea;
  const scale = chart.scales['x'];
  if (!scale || e.x === null || e.x < area.left || e.x > area.right) return [];
  const x = scale.getValueForPixel(e.x);
  const beside = scale.getValueForPixel(e.x + endSlackPx);
  if (x === undefined || beside === undefined) return [];
  const slack = Math.abs(beside - x);
  const items: InteractionItem[] = [];
  chart.data.datasets.forEach((dataset, datasetIndex) => {
    const meta = chart.getDatasetMeta(datasetIndex);
    const points = dataset.data as unknown as Point[];
    if (meta.hidden || points.length === 0 || dataset.label?.endsWith(' range')) return;
    const index = nearestIndexWithin(points, x, slack);
    const element = index >= 0 ? meta.data[index] : undefined;
    if (element) items.push({ element, datasetIndex, index });
  });
  return items;
};

/**
 * Marks drawn over the curves, and an opaque background so an exported PNG reads well. The marks
 * are read at each draw, so a chart made once follows the marks its component is given later.
 */
export function decorations(marks: () => readonly ChartMark[]): Plugin<'line'> {
  return {
    id: 'decorations',
    beforeDraw(c) {
      const style = getComputedStyle(c.canvas);
      const { ctx } = c;
      ctx.save();
      ctx.fillStyle = style.getPropertyValue('--panel').trim() || '#ffffff';
      ctx.fillRect(0, 0, c.width, c.height);
      ctx.restore();
    },
    afterDatasetsDraw(c) {
      const { ctx, chartArea, scales } = c;
      const x = scales['x'];
      if (!x) return;
      ctx.save();
      ctx.setLineDash([4, 3]);
      ctx.lineWidth = 1;
      ctx.font = '11px system-ui, sans-serif';
      for (const [i, mark] of marks().entries()) {
        const px = x.getPixelForValue(mark.x);
        if (px < chartArea.left || px > chartArea.right) continue;
        ctx.strokeStyle = mark.color;
        ctx.fillStyle = mark.color;
        ctx.beginPath();
        ctx.moveTo(px, chartArea.top);
        ctx.lineTo(px, chartArea.bottom);
        ctx.stroke();
        // Beside the line, on whichever side has room for the text.
        const width = ctx.measureText(mark.label).width;
        const tx = px + 4 + width <= chartArea.right ? px + 4 : Math.max(chartArea.left, px - 4 - width);
        ctx.fillText(mark.label, tx, chartArea.top + 12 + (i % 3) * 13);
      }
      ctx.restore();
    },
  };
}
