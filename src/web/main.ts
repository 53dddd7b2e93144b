/**
 * The flowlens dashboard (docs/dashboard.md), served by the agent at `/`: four views (Flows, Path, Time series,
 * Collector) behind hash links (`#flows`, `#path`, `#series`, `#collector`), fed by the CA API and the agent's live
 * round stream. Plain TypeScript and DOM; bundled by esbuild with cytoscape and uPlot, nothing loaded from elsewhere.
 */
import { followRounds, get, setToken, token } from "./api.ts";
import { CollectorView } from "./collector-view.ts";
import { h, replace } from "./dom.ts";
import { FlowsView } from "./flows-view.ts";
import { PathView } from "./path-view.ts";
import { SeriesView } from "./series-view.ts";
import { DashboardState, refKey, refOfEvent, refParams, type TraceRef } from "./state.ts";

const VIEWS = ["flows", "path", "series", "collector"] as const;
type ViewName = (typeof VIEWS)[number];

function start(): void {
  const state = new DashboardState();
  const main = document.getElementById("main")!;
  const pathView = new PathView(state);
  const seriesView = new SeriesView(state);
  const collectorView = new CollectorView();
  const flowsView = new FlowsView(state, {
    showPath(ref: TraceRef) {
      state.select(ref);
      if (location.hash !== "#path") location.hash = "#path";
      else show("path");
      void pathView.load();
    },
  });
  const elements: Record<ViewName, HTMLElement> = {
    flows: flowsView.element,
    path: pathView.element,
    series: seriesView.element,
    collector: collectorView.element,
  };
  main.append(...Object.values(elements));

  const show = (name: ViewName) => {
    for (const view of VIEWS) {
      elements[view].hidden = view !== name;
      const link = document.querySelector(`nav a[href="#${view}"]`);
      if (view === name) link?.setAttribute("aria-current", "page");
      else link?.removeAttribute("aria-current");
    }
    collectorView.setVisible(name === "collector");
    if (name === "path") pathView.render(true);
    if (name === "series") seriesView.render();
    if (name === "flows") void flowsView.refresh();
    document.title = `flowlens · ${document.querySelector(`nav a[href="#${name}"]`)?.textContent ?? name}`;
  };
  const route = () => {
    const name = location.hash.slice(1);
    if (name === "main") {
      main.focus();
      return;
    }
    show((VIEWS as readonly string[]).includes(name) ? (name as ViewName) : "flows");
  };
  window.addEventListener("hashchange", route);
  route();

  // The live stream carries the selected trace's rounds only (a busy agent completes thousands of rounds a second).
  const live = document.getElementById("live")!;
  let following = "";
  let stream: AbortController | undefined;
  const follow = () => {
    const key = state.selected === null ? "" : refKey(state.selected);
    if (key !== following) {
      following = key;
      stream?.abort();
      stream = undefined;
      state.setLive(false);
      if (state.selected !== null) {
        stream = new AbortController();
        const filters = { kind: state.selected.kind, ...refParams(state.selected) };
        void followRounds(
          { round: (event) => state.addRound(refOfEvent(event), event.path), status: (c) => state.setLive(c) },
          filters,
          stream.signal,
        );
      }
    }
    live.textContent = following === "" ? "idle" : state.live ? "live" : "offline";
    live.className = `badge ${following === "" ? "neutral" : state.live ? "ok" : "warn"}`;
    live.title =
      following === "" ? "No trace selected" : state.live ? "Rounds arrive as they complete" : "Reconnecting…";
  };
  state.onChange(follow);
  follow();
  void showNetwork();
  setupToken();
}

async function showNetwork(): Promise<void> {
  const badge = document.getElementById("network")!;
  const answer = await get<{ simulated?: boolean; network?: string; version?: string }>("/version");
  if (!answer.ok) {
    badge.textContent = "agent unreachable";
    return;
  }
  const simulated = answer.body.simulated === true;
  badge.textContent = simulated ? "SIMULATED FABRIC" : `network: ${answer.body.network ?? "unknown"}`;
  badge.className = `badge ${simulated ? "sim" : "neutral"}`;
  badge.title = simulated
    ? "Probes go through flowlens's simulated fabric (docs/sim.md), not a real network"
    : "Probes go through a real network";
  if (simulated) {
    document.getElementById("banner")!.hidden = false;
  }
}

function setupToken(): void {
  const box = document.getElementById("token-box")!;
  const input = h("input", { id: "token", type: "password", autocomplete: "off", value: token() });
  replace(
    box,
    h(
      "details",
      {},
      h("summary", {}, "API token"),
      h(
        "form",
        {
          class: "token-form",
          onsubmit: (e: Event) => {
            e.preventDefault();
            setToken(input.value);
            location.reload();
          },
        },
        h("label", { for: "token" }, "Bearer token (only when the agent requires one)"),
        input,
        h("button", { type: "submit" }, "Save"),
      ),
    ),
  );
}

start();
