/**
 * The Time series view: uPlot charts of the selected trace's rounds kept in this tab (state.ts): per-hop latency,
 * device CPU and memory, the flow's bandwidth at each hop from `Bandwidth_Counter` deltas (traces started with
 * bw_ingress=true), and the rates of the interfaces the flow uses (ingress receive, chosen egress transmit).
 */
import uPlot from "uplot";
import { h } from "./dom.ts";
import { chosenEgress, flowRate, sameHop } from "./hop-metrics.ts";
import { hopLabel } from "./path-graph.ts";
import { type DashboardState, refKey } from "./state.ts";
import type { Hop, PathObject } from "./types.ts";

/** Line colours of successive hops (distinguishable, readable on white). */
const PALETTE = ["#1f4fd1", "#b3261e", "#1b7a3a", "#8a3ffc", "#a15c00", "#007d79", "#d02670", "#5f6b7a"];

interface ChartSpec {
  id: string;
  title: string;
  unit: string;
  /** The figure of one hop in one round (previous round given for deltas). */
  value(hop: Hop, path: PathObject, previous: PathObject | undefined): number | null;
  /** Series per hop, or per hop and direction. */
  perHop: { suffix: string; pick?: "in" | "out" }[];
}

const CHARTS: ChartSpec[] = [
  {
    id: "latency",
    title: "Latency per hop",
    unit: "ms",
    value: (hop) => (hop.Latency === undefined ? null : hop.Latency * 1000),
    perHop: [{ suffix: "" }],
  },
  {
    id: "cpu",
    title: "Device CPU",
    unit: "%",
    value: (hop) => hop.DevCPUUtil ?? null,
    perHop: [{ suffix: "" }],
  },
  {
    id: "memory",
    title: "Device memory",
    unit: "%",
    value: (hop) => hop.DevMEMUtil ?? null,
    perHop: [{ suffix: "" }],
  },
  {
    id: "flow-bandwidth",
    title: "Flow bandwidth (Bandwidth_Counter per second; start with bw_ingress=true)",
    unit: "/s",
    value: (hop, path, previous) => {
      const before = sameHop(previous, hop);
      return previous === undefined ? null : (flowRate(hop, path.Time, before, previous.Time) ?? null);
    },
    perHop: [{ suffix: "" }],
  },
  {
    id: "interface-rates",
    title: "Interface rates (ingress RX, this flow's egress TX)",
    unit: "Mb/s",
    value: () => null,
    perHop: [
      { suffix: " in", pick: "in" },
      { suffix: " out", pick: "out" },
    ],
  },
];

function rateOf(hop: Hop, pick: "in" | "out"): number | null {
  if (pick === "in") {
    const ifl = hop.IngressIFLAttribute?.IFLList[0];
    return ifl === undefined ? null : (ifl.IFLStats.RX_BW * 8) / 1e6;
  }
  const ifl = chosenEgress(hop);
  return ifl === undefined ? null : (ifl.IFLStats.TX_BW * 8) / 1e6;
}

/** The series data of one chart over `rounds`: `[times, ...one array per hop series]`. */
export function chartData(spec: ChartSpec, rounds: readonly PathObject[], hops: number[]): (number | null)[][] {
  const times = rounds.map((r) => r.Time);
  const columns: (number | null)[][] = [];
  for (const hopNumber of hops) {
    for (const part of spec.perHop) {
      columns.push(
        rounds.map((round, i) => {
          const hop = round.Path.find((x) => x.HOP === hopNumber);
          if (hop === undefined) return null;
          if (part.pick !== undefined) return rateOf(hop, part.pick);
          return spec.value(hop, round, i > 0 ? rounds[i - 1] : undefined);
        }),
      );
    }
  }
  return [times, ...columns];
}

/** The Time series view's controller. */
export class SeriesView {
  readonly element: HTMLElement;
  readonly #state: DashboardState;
  readonly #title = h("h2", { id: "series-title" }, "Time series");
  readonly #status = h("p", { class: "status", role: "status" });
  readonly #charts = h("div", { class: "charts" });
  readonly #plots = new Map<string, uPlot>();
  #shape = "";

  constructor(state: DashboardState) {
    this.#state = state;
    this.element = h(
      "section",
      { id: "view-series", class: "view", "aria-labelledby": "series-title" },
      this.#title,
      this.#status,
      this.#charts,
    );
    state.onChange(() => this.render());
    window.addEventListener("resize", () => this.#resize());
  }

  /** Redraws from the kept rounds. */
  render(): void {
    if (this.element.hidden) return;
    const ref = this.#state.selected;
    if (ref === null) {
      this.#title.textContent = "Time series";
      this.#status.textContent = "No flow selected: choose one under Flows.";
      this.#clear();
      return;
    }
    const rounds = this.#state.history(ref);
    this.#title.textContent = `Time series of ${refKey(ref)}`;
    this.#status.textContent =
      rounds.length === 0
        ? "Waiting for rounds…"
        : `${rounds.length} rounds received in this tab${rounds.length < 2 ? " (rates need two)" : ""}.`;
    if (rounds.length === 0) {
      this.#clear();
      return;
    }
    const latest = rounds[rounds.length - 1]!;
    const hops = latest.Path.map((x) => x.HOP);
    const names = latest.Path.map((x) => `${x.HOP} ${hopLabel(x)}`);
    const shape = `${refKey(ref)}|${names.join(",")}`;
    if (shape !== this.#shape) {
      this.#clear();
      this.#shape = shape;
      for (const spec of CHARTS) this.#create(spec, names, chartData(spec, rounds, hops));
    } else {
      for (const spec of CHARTS) this.#plots.get(spec.id)?.setData(chartData(spec, rounds, hops) as uPlot.AlignedData);
    }
  }

  #clear(): void {
    for (const plot of this.#plots.values()) plot.destroy();
    this.#plots.clear();
    this.#charts.replaceChildren();
    this.#shape = "";
  }

  /** The plot width that fits a chart's box (its content width). */
  #width(box?: HTMLElement): number {
    const el = box ?? this.#charts.querySelector<HTMLElement>("figure.chart");
    return Math.max(240, (el?.clientWidth ?? 600) - 20);
  }

  #create(spec: ChartSpec, names: string[], data: (number | null)[][]): void {
    const box = h(
      "figure",
      { class: "chart", id: `chart-${spec.id}` },
      h("figcaption", {}, `${spec.title} (${spec.unit})`),
    );
    this.#charts.append(box);
    const series: uPlot.Series[] = [{}];
    names.forEach((name, i) => {
      for (const part of spec.perHop) {
        series.push({
          label: `${name}${part.suffix}`,
          stroke: PALETTE[i % PALETTE.length],
          width: 2,
          ...(part.pick === "in" ? { dash: [6, 4] } : {}),
          spanGaps: false,
        });
      }
    });
    const plot = new uPlot(
      {
        width: this.#width(box),
        height: 200,
        series,
        scales: { x: { time: true } },
        axes: [{}, { label: spec.unit, size: 60 }],
        legend: { live: true },
      },
      data as uPlot.AlignedData,
      box,
    );
    this.#plots.set(spec.id, plot);
  }

  #resize(): void {
    if (this.element.hidden) return;
    for (const plot of this.#plots.values()) plot.setSize({ width: this.#width(), height: 200 });
  }
}
