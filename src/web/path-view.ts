/**
 * The Path view: the selected trace's last round as a cytoscape graph (path-graph.ts), a keyboard-navigable hop list
 * beside it, and the selected hop's every Path element; coloured by latency, utilisation or drops; redrawn on every
 * round the live stream brings.
 */
import cytoscape, { type Core, type ElementDefinition } from "cytoscape";
import { get, reason } from "./api.ts";
import { bitRate, clock, h, ms, num, replace } from "./dom.ts";
import { type ColourMode, chosenEgress, colourFigure, level, sameHop } from "./hop-metrics.ts";
import { buildPathGraph, type GraphNode, hopLabel } from "./path-graph.ts";
import { type DashboardState, refKey, refParams, type TraceRef } from "./state.ts";
import type { Hop, Ifl, PathObject } from "./types.ts";

const COLOURS = { ok: "#1b7a3a", warn: "#a15c00", bad: "#b3261e", none: "#5f6b7a" } as const;

const STYLE = [
  {
    selector: "node",
    style: {
      label: "data(label)",
      "font-size": 15,
      "font-family": "system-ui, sans-serif",
      color: "#111827",
      "text-valign": "bottom",
      "text-margin-y": 6,
      "text-wrap": "wrap",
      "text-max-width": "190px",
      "text-background-color": "#ffffff",
      "text-background-opacity": 0.85,
      "text-background-padding": "2px",
    },
  },
  {
    selector: "node.hop",
    style: { shape: "round-rectangle", width: 44, height: 44, "background-color": "data(fill)", "border-width": 2 },
  },
  { selector: "node.hop.NO_RESPONSE", style: { "background-color": "#ffffff", "border-style": "dashed" } },
  { selector: "node.endpoint", style: { shape: "ellipse", width: 34, height: 34, "background-color": "#1f2937" } },
  {
    selector: "node.destination.not-reached",
    style: { "background-color": "#ffffff", "border-width": 2, "border-style": "dashed" },
  },
  {
    selector: "node.member",
    style: {
      shape: "round-rectangle",
      width: 14,
      height: 14,
      "font-size": 13,
      "text-valign": "center",
      "text-halign": "right",
      "text-margin-x": 4,
      "text-margin-y": 0,
      "background-color": "#c3cad5",
    },
  },
  { selector: "node.member.chosen", style: { "background-color": "#1f4fd1", width: 18, height: 18 } },
  {
    selector: "node.lag",
    style: {
      shape: "round-rectangle",
      "background-color": "#eef2f7",
      "border-width": 1,
      "border-color": "#8792a2",
      "text-valign": "center",
      "text-halign": "left",
      "text-margin-x": -4,
      "text-margin-y": 0,
      "font-size": 13,
      padding: "8px",
    },
  },
  { selector: "node.lag.chosen", style: { "border-color": "#1f4fd1", "border-width": 2 } },
  {
    selector: "edge",
    style: {
      width: 1.5,
      "line-color": "#b8c0cc",
      "line-style": "dashed",
      "curve-style": "straight",
      "target-arrow-shape": "none",
      label: "data(label)",
      "font-size": 12,
      "text-rotation": "autorotate",
      "text-background-color": "#ffffff",
      "text-background-opacity": 0.85,
    },
  },
  { selector: "edge.chosen", style: { width: 4, "line-color": "#1f4fd1", "line-style": "solid" } },
  { selector: "edge.unknown", style: { "line-style": "dotted", "line-color": "#8792a2", width: 2 } },
  { selector: ":selected", style: { "border-width": 4, "border-color": "#f5b700" } },
];

/** The Path view's controller. */
export class PathView {
  readonly element: HTMLElement;
  readonly #state: DashboardState;
  readonly #title = h("h2", { id: "path-title" }, "Path");
  readonly #status = h("p", { class: "status", role: "status", "aria-live": "polite" });
  readonly #graphBox = h("div", { class: "graph", "aria-hidden": "true" });
  readonly #hopList = h("ol", { class: "hop-list", "aria-label": "Hops in order" });
  readonly #details = h("section", { class: "hop-details", "aria-label": "Selected hop" });
  readonly #mode: HTMLSelectElement;
  #cy: Core | undefined;
  #shownKey = "";
  #shownTime = -1;
  #selectedHop: number | undefined;
  #selectedMember: string | undefined;

  constructor(state: DashboardState) {
    this.#state = state;
    this.#mode = h(
      "select",
      { id: "colour-mode", onchange: () => this.render(true) },
      h("option", { value: "latency" }, "latency"),
      h("option", { value: "utilisation" }, "utilisation (CPU/memory)"),
      h("option", { value: "drops" }, "drops"),
    );
    this.element = h(
      "section",
      { id: "view-path", class: "view", "aria-labelledby": "path-title" },
      h(
        "div",
        { class: "toolbar" },
        this.#title,
        h("label", { for: "colour-mode" }, "Colour by ", this.#mode),
        h(
          "span",
          { class: "legend", "aria-hidden": "true" },
          h("span", { class: "swatch ok" }),
          "good ",
          h("span", { class: "swatch warn" }),
          "high ",
          h("span", { class: "swatch bad" }),
          "critical ",
          h("span", { class: "swatch silent" }),
          "no answer ",
          h("span", { class: "swatch chosen" }),
          "this flow's member",
        ),
      ),
      this.#status,
      h("div", { class: "path-layout" }, this.#graphBox, h("div", { class: "side" }, this.#hopList)),
      this.#details,
    );
    state.onChange(() => this.render(false));
    window.addEventListener("resize", () => {
      if (this.element.hidden || this.#cy === undefined) return;
      this.#cy.resize();
      this.#cy.fit(undefined, 24);
    });
  }

  /** Fetches the selected trace's current Path (before the live stream brings one). */
  async load(): Promise<void> {
    const ref = this.#state.selected;
    if (ref === null) return;
    const answer = await get<PathObject>(`/data/${ref.kind}`, refParams(ref));
    if (answer.ok) this.#state.addRound(ref, answer.body);
    else if (answer.status === 409) this.#status.textContent = "Waiting for the first round…";
    else this.#status.textContent = `No path: ${reason(answer)}`;
  }

  /** Redraws when the selected trace has a new round (or always with `force`). */
  render(force: boolean): void {
    if (this.element.hidden) return;
    const ref = this.#state.selected;
    if (ref === null) {
      this.#title.textContent = "Path";
      this.#status.textContent = "No flow selected: choose one under Flows (Trace or View).";
      this.#hopList.replaceChildren();
      this.#details.replaceChildren();
      this.#cy?.elements().remove();
      this.#shownKey = "";
      return;
    }
    const key = refKey(ref);
    const rounds = this.#state.history(ref);
    const path = rounds[rounds.length - 1];
    this.#title.textContent = `Path of ${key}`;
    if (path === undefined) {
      if (this.#shownKey !== key) this.#status.textContent = "Waiting for the first round…";
      return;
    }
    if (!force && key === this.#shownKey && path.Time === this.#shownTime) return;
    const previous = rounds.length > 1 ? rounds[rounds.length - 2] : undefined;
    // The view may have been hidden (no size) since the graph was last laid out.
    const fresh = key !== this.#shownKey || (force && this.#cy !== undefined && this.#cy.width() === 0);
    this.#shownKey = key;
    this.#shownTime = path.Time;
    this.#status.textContent =
      `Round of ${clock(path.Time)}: ${path.Path.length} hops, destination ` +
      `${path.DestinationReached ? "reached" : "not reached"}${this.#state.live ? " (live)" : " (live updates paused)"}.`;
    this.#drawGraph(ref, path, previous, fresh);
    this.#drawHopList(path, previous);
    this.#drawDetails(path);
  }

  #drawGraph(ref: TraceRef, path: PathObject, previous: PathObject | undefined, fresh: boolean): void {
    const graph = buildPathGraph(path, ref.src, ref.kind === "flow" ? ref.dst : ref.dst);
    const mode = this.#mode.value as ColourMode;
    const elements: ElementDefinition[] = graph.nodes.map((n) => ({
      group: "nodes",
      data: {
        id: n.id,
        label: n.label,
        fill: n.kind === "hop" ? fillOf(mode, path, previous, n) : "#1f2937",
        ...(n.parent === undefined ? {} : { parent: n.parent }),
      },
      position: { x: n.x, y: n.y },
      classes: [
        n.kind,
        n.kind === "source" || n.kind === "destination" ? "endpoint" : "",
        n.status ?? "",
        n.chosen ? "chosen" : "",
      ].join(" "),
    }));
    for (const e of graph.edges) {
      elements.push({
        group: "edges",
        data: { id: e.id, source: e.source, target: e.target, label: e.label ?? "" },
        classes: [e.chosen ? "chosen" : "", e.unknown ? "unknown" : ""].join(" "),
      });
    }
    if (this.#cy === undefined) {
      this.#cy = cytoscape({
        container: this.#graphBox,
        elements: [],
        style: STYLE as unknown as cytoscape.StylesheetJson,
        layout: { name: "preset" },
        minZoom: 0.2,
        maxZoom: 3,
        wheelSensitivity: 0.3,
        boxSelectionEnabled: false,
        autoungrabify: true,
      });
      this.#cy.on("tap", "node", (event) => {
        const id = event.target.id() as string;
        const node = graph.nodes.find((n) => n.id === id);
        this.#selectFromGraph(id);
        if (node === undefined) this.render(true);
      });
    }
    const cy = this.#cy;
    const sameShape =
      !fresh &&
      cy.nodes().length === graph.nodes.length &&
      graph.nodes.every((n) => cy.getElementById(n.id).nonempty());
    cy.batch(() => {
      if (!sameShape) {
        cy.elements().remove();
        cy.add(elements);
      } else {
        for (const el of elements) {
          const existing = cy.getElementById(el.data.id!);
          if (existing.empty()) {
            cy.add(el);
            continue;
          }
          existing.data(el.data);
          existing.classes(el.classes as string);
        }
        cy.edges().forEach((edge) => {
          if (!graph.edges.some((e) => e.id === edge.id())) edge.remove();
        });
      }
    });
    cy.resize();
    if (!sameShape) cy.fit(undefined, 24);
    const selected = this.#selectedMember ?? (this.#selectedHop === undefined ? undefined : `hop-${this.#selectedHop}`);
    cy.elements().unselect();
    if (selected !== undefined) cy.getElementById(selected).select();
  }

  #selectFromGraph(id: string): void {
    const hop = /^(?:hop|member|lag)-(\d+)/.exec(id);
    this.#selectedHop = hop === null ? undefined : Number(hop[1]);
    this.#selectedMember = id.startsWith("member-") ? id : undefined;
    this.render(true);
  }

  #drawHopList(path: PathObject, previous: PathObject | undefined): void {
    const mode = this.#mode.value as ColourMode;
    replace(
      this.#hopList,
      path.Path.map((hop) => {
        const figure = colourFigure(mode, hop, sameHop(previous, hop));
        const lvl = hop.HopStatus === "NO_RESPONSE" ? "silent" : level(figure);
        return h(
          "li",
          {},
          h(
            "button",
            {
              type: "button",
              class: `hop-button ${lvl}`,
              "data-hop": hop.HOP,
              "aria-pressed": this.#selectedHop === hop.HOP ? "true" : "false",
              onclick: () => {
                this.#selectedHop = hop.HOP;
                this.#selectedMember = undefined;
                this.render(true);
              },
            },
            h("span", { class: "hop-number" }, hop.HOP),
            h("span", { class: "hop-name" }, hopLabel(hop)),
            h("span", { class: "hop-figure" }, figureText(hop, figure)),
          ),
        );
      }),
    );
  }

  #drawDetails(path: PathObject): void {
    const hop = path.Path.find((x) => x.HOP === this.#selectedHop);
    if (hop === undefined) {
      replace(this.#details, h("p", { class: "hint" }, "Select a hop (in the list or the graph) to see its elements."));
      return;
    }
    replace(this.#details, hopDetails(hop, this.#selectedMember === undefined ? undefined : this.#memberName()));
  }

  #memberName(): string | undefined {
    return this.#cy?.getElementById(this.#selectedMember!).data("label") as string | undefined;
  }
}

function fillOf(mode: ColourMode, path: PathObject, previous: PathObject | undefined, node: GraphNode): string {
  const hop = path.Path.find((x) => x.HOP === node.hop);
  if (hop === undefined || hop.HopStatus === "NO_RESPONSE") return "#ffffff";
  return COLOURS[level(colourFigure(mode, hop, sameHop(previous, hop)))];
}

function figureText(hop: Hop, figure: { value: number | undefined; unit: string }): string {
  if (hop.HopStatus === "NO_RESPONSE") return "no response";
  if (figure.value === undefined) return hop.HopStatus === "NO_TELEMETRY" ? "no telemetry" : "–";
  return `${num(figure.value, figure.unit === "packets" ? 0 : 1)} ${figure.unit}`;
}

function row(name: string, value: unknown): HTMLTableRowElement {
  return h("tr", {}, h("th", { scope: "row" }, name), h("td", {}, value === undefined ? "–" : String(value)));
}

function interfaceRows(hop: Hop): HTMLTableRowElement[] {
  const rows: HTMLTableRowElement[] = [];
  const chosen = chosenEgress(hop)?.IFLName;
  const add = (role: string, ifl: Ifl) => {
    const s = ifl.IFLStats;
    rows.push(
      h(
        "tr",
        { class: ifl.IFLName === chosen && role !== "ingress" ? "chosen" : "" },
        h("th", { scope: "row" }, ifl.IFLName),
        h("td", {}, role, ifl.IFLName === chosen && role !== "ingress" ? " (this flow)" : ""),
        h("td", { class: "n" }, bitRate(s.RX_BW)),
        h("td", { class: "n" }, bitRate(s.TX_BW)),
        h("td", { class: "n" }, num(s.RX_PPS)),
        h("td", { class: "n" }, num(s.TX_PPS)),
        h("td", { class: "n" }, num(s.RX_DROPPKT + s.TX_DROPPKT)),
        h("td", { class: "n" }, num(s.RX_CRCERROR + s.TX_CRCERROR)),
      ),
    );
  };
  for (const ifl of hop.IngressIFLAttribute?.IFLList ?? []) add("ingress", ifl);
  const egress = hop.EgressIFLAttribute;
  if (egress !== undefined && "L3Ecmp" in egress) {
    for (const ifl of egress.L3Ecmp.IFLList) add(`ECMP member (${egress.L3Ecmp.NumBuckets} buckets)`, ifl);
    for (const lag of egress.L3Ecmp.L2EcmpList) {
      for (const ifl of lag.IFLList) add(`LAG ${lag.AE_IFL_NAME} member`, ifl);
    }
  } else if (egress !== undefined) {
    for (const ifl of egress.IFLList) add("egress", ifl);
  }
  return rows;
}

function hopDetails(hop: Hop, member: string | undefined): HTMLElement {
  const ts = hop.TIMESTAMP;
  const ifRows = interfaceRows(hop);
  return h(
    "div",
    {},
    h("h3", {}, `Hop ${hop.HOP}: ${hopLabel(hop)}`, member === undefined ? "" : ` — ${member}`),
    h(
      "table",
      { class: "kv" },
      h(
        "tbody",
        {},
        row("HopStatus", hop.HopStatus),
        row("HopAddress", hop.HopAddress ?? "none"),
        row("DevName", hop.DevName),
        row("DevSerialID", hop.DevSerialID),
        row("Latency", ms(hop.Latency)),
        row("DevCPUUtil", hop.DevCPUUtil === undefined ? undefined : `${hop.DevCPUUtil} %`),
        row("DevMEMUtil", hop.DevMEMUtil === undefined ? undefined : `${hop.DevMEMUtil} %`),
        row(
          "TIMESTAMP",
          ts === undefined ? undefined : `${ts.TimeStamp}.${String(ts.TimeStamp_usec).padStart(6, "0")} (${ts.Type})`,
        ),
        row("EgressIFLName", hop.EgressIFLName),
        row("Bandwidth_Counter", hop.Bandwidth_Counter),
        row("Bandwidth_ID", hop.Bandwidth_ID),
      ),
    ),
    ifRows.length === 0
      ? null
      : h(
          "div",
          { class: "table-scroll" },
          h(
            "table",
            { class: "grid" },
            h("caption", {}, "Interfaces (rates from the previous sample)"),
            h(
              "thead",
              {},
              h(
                "tr",
                {},
                ["IFL", "role", "RX", "TX", "RX pps", "TX pps", "drops", "CRC"].map((c) =>
                  h("th", { scope: "col" }, c),
                ),
              ),
            ),
            h("tbody", {}, ifRows),
          ),
        ),
    h("details", {}, h("summary", {}, "Every element (JSON)"), h("pre", {}, JSON.stringify(hop, null, 2))),
  );
}
