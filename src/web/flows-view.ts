/**
 * The Flows view: what list/flow discovered (optionally only the flows seen in the last 60 s, `active=True`), a form
 * with every start parameter of start/flow and start/tunnel (docs/api.md), and the active flows and tunnels with View
 * and Stop: every Originator's (`GET /api/v1/traces`, with each owner; View and Stop only where this tab's Originator
 * may act) or, with "every originator" unticked, the requester's own (active/*). "Trace" on a discovered flow (or Enter
 * on its row) starts it with the defaults and bw_ingress=true, and opens its path.
 */
import { get, originator, reason, setOriginator } from "./api.ts";
import { clock, h, replace } from "./dom.ts";
import { type DashboardState, refParams, type TraceRef } from "./state.ts";
import type { FlowTuple, ListedFlowGroup, TraceInfo, TunnelTuple } from "./types.ts";

/** What the view asks of the application. */
export interface FlowsViewHost {
  /** Shows the path of `ref` (switches to the Path view). */
  showPath(ref: TraceRef): void;
}

interface Discovered {
  ref: TraceRef;
  /** Extra start/tunnel parameters (MAC addresses, inner dport). */
  extra: Record<string, string>;
  firstSeen: number;
  label: string;
  overlay: string;
}

function discovered(groups: ListedFlowGroup[]): Discovered[] {
  const out: Discovered[] = [];
  for (const g of groups) {
    const proto = g.PROTO.toLowerCase() === "tcp" ? "tcp" : "udp";
    for (const p of g.PORTS) {
      const [ts, dport, sport] = p as [number, number, number];
      if (p.length > 3) {
        const [, , , vni, smac, dmac, vmSrc, vmDst, vmProto, vmSport, vmDport] = p;
        out.push({
          ref: {
            kind: "tunnel",
            src: g.SIP,
            dst: g.DIP,
            sport,
            vnid: Number(vni),
            appsrc: String(vmSrc),
            appdst: String(vmDst),
          },
          extra: { appsmac: String(smac), appdmac: String(dmac), dport: String(vmDport) },
          firstSeen: ts,
          label: `${g.SIP}:${sport} → ${g.DIP}:${dport} ${g.PROTO}`,
          overlay: `VNI ${vni}: ${vmSrc}:${vmSport} → ${vmDst}:${vmDport} ${vmProto}`,
        });
      } else {
        out.push({
          ref: { kind: "flow", src: g.SIP, dst: g.DIP, proto, sport, dport },
          extra: {},
          firstSeen: ts,
          label: `${g.SIP}:${sport} → ${g.DIP}:${dport} ${g.PROTO}`,
          overlay: "",
        });
      }
    }
  }
  return out;
}

function field(name: string, label: string, attrs: Record<string, unknown> = {}, hint = ""): HTMLElement {
  const id = `start-${name}`;
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, label),
    h("input", { id, name, autocomplete: "off", ...attrs }),
    hint === "" ? null : h("small", {}, hint),
  );
}

function select(name: string, label: string, options: [string, string][]): HTMLElement {
  const id = `start-${name}`;
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, label),
    h(
      "select",
      { id, name },
      options.map(([value, text]) => h("option", { value }, text)),
    ),
  );
}

/** An active trace in the list: its reference and, from `/api/v1/traces`, its owner. */
interface ActiveTrace {
  ref: TraceRef;
  owner?: { originator: string | null; address: string; state: string };
}

/** The reference of a listed trace. */
function refOfTrace(t: TraceInfo): TraceRef {
  if (t.kind === "flow") {
    const f = t.tuple as FlowTuple;
    return { kind: "flow", src: f.src, dst: f.dst, proto: f.proto, sport: f.sport, dport: f.dport };
  }
  const u = t.tuple as TunnelTuple;
  return { kind: "tunnel", src: u.src, dst: u.dst, sport: u.sport, vnid: u.vnid, appsrc: u.appsrc, appdst: u.appdst };
}

/** Whether this tab's Originator may view and stop a trace of `owner` (registry.ts, `authorize`). */
function mayAct(owner: ActiveTrace["owner"]): boolean {
  return owner === undefined || owner.originator === null || owner.originator === originator();
}

/** The owner text of a listed trace: its Originator (or address) and its state when stopping. */
function ownerText(owner: NonNullable<ActiveTrace["owner"]>): string {
  const who = owner.originator === null ? `no originator (${owner.address})` : `originator ${owner.originator}`;
  return owner.state === "active" ? who : `${who}, ${owner.state}`;
}

/** A table of active traces: the header `first` (`Flow`, `Tunnel`) and an empty one for the buttons, over `body`. */
function activeTable(first: string, body: HTMLTableSectionElement): HTMLTableElement {
  return h(
    "table",
    { class: "grid" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        [first, ""].map((c) => h("th", { scope: "col" }, c)),
      ),
    ),
    body,
  );
}

/** The Flows view's controller. */
export class FlowsView {
  readonly element: HTMLElement;
  readonly #state: DashboardState;
  readonly #host: FlowsViewHost;
  readonly #discoveredBody = h("tbody", { id: "discovered-flows" });
  readonly #discoveredStatus = h("p", { class: "status", role: "status" });
  readonly #activeOnly = h("input", { type: "checkbox", id: "active-only", checked: true });
  readonly #allOriginators = h("input", { type: "checkbox", id: "all-originators", checked: true });
  readonly #activeFlows = h("tbody", { id: "active-flows" });
  readonly #activeTunnels = h("tbody", { id: "active-tunnels" });
  readonly #formStatus = h("p", { class: "status", id: "start-result", role: "status", "aria-live": "polite" });
  readonly #form: HTMLFormElement;

  constructor(state: DashboardState, host: FlowsViewHost) {
    this.#state = state;
    this.#host = host;
    this.#activeOnly.addEventListener("change", () => void this.refreshDiscovered());
    this.#allOriginators.addEventListener("change", () => void this.refreshActive());
    this.#form = this.#buildForm();
    this.element = h(
      "section",
      { id: "view-flows", class: "view", "aria-labelledby": "flows-title" },
      h("h2", { id: "flows-title" }, "Flows"),
      h(
        "div",
        { class: "flows-layout" },
        h(
          "section",
          { class: "card", "aria-labelledby": "discovered-title" },
          h(
            "div",
            { class: "card-head" },
            h("h3", { id: "discovered-title" }, "Discovered (list/flow)"),
            h("label", { for: "active-only" }, this.#activeOnly, " only seen in the last 60 s"),
            h("button", { type: "button", onclick: () => void this.refreshDiscovered() }, "Refresh"),
          ),
          this.#discoveredStatus,
          h(
            "div",
            { class: "table-scroll" },
            h(
              "table",
              { class: "grid flows" },
              h(
                "thead",
                {},
                h(
                  "tr",
                  {},
                  ["Flow", "Overlay", "First seen", ""].map((c) => h("th", { scope: "col" }, c)),
                ),
              ),
              this.#discoveredBody,
            ),
          ),
        ),
        h(
          "section",
          { class: "card", "aria-labelledby": "start-title" },
          h("h3", { id: "start-title" }, "Start tracing"),
          this.#form,
          this.#formStatus,
        ),
        h(
          "section",
          { class: "card", "aria-labelledby": "active-title" },
          h(
            "div",
            { class: "card-head" },
            h("h3", { id: "active-title" }, "Active traces"),
            h("label", { for: "all-originators" }, this.#allOriginators, " every originator"),
            h("button", { type: "button", onclick: () => void this.refreshActive() }, "Refresh"),
          ),
          h("h4", {}, "Flows"),
          activeTable("Flow", this.#activeFlows),
          h("h4", {}, "Tunnels"),
          activeTable("Tunnel", this.#activeTunnels),
        ),
      ),
    );
  }

  /** Reloads both lists. */
  async refresh(): Promise<void> {
    await Promise.all([this.refreshDiscovered(), this.refreshActive()]);
  }

  /** Reloads list/flow. */
  async refreshDiscovered(): Promise<void> {
    const answer = await get<{ FLOWS: ListedFlowGroup[] }>(
      "/list/flow",
      this.#activeOnly.checked ? { active: "True" } : {},
    );
    if (!answer.ok) {
      this.#discoveredStatus.textContent = `list/flow failed: ${reason(answer)}`;
      return;
    }
    const flows = discovered(answer.body.FLOWS);
    this.#discoveredStatus.textContent = `${flows.length} flows${this.#activeOnly.checked ? " seen in the last 60 s" : ""}.`;
    replace(
      this.#discoveredBody,
      flows.map((f) => {
        const trace = () => void this.#trace(f);
        return h(
          "tr",
          {
            tabindex: "0",
            class: "flow-row",
            "data-flow": f.label,
            "aria-label": `${f.label}${f.overlay === "" ? "" : `, ${f.overlay}`}: press Enter to trace`,
            onkeydown: (e: KeyboardEvent) => {
              if (e.key === "Enter" && e.target === e.currentTarget) trace();
            },
          },
          h("td", {}, f.label),
          h("td", {}, f.overlay),
          h("td", {}, clock(f.firstSeen)),
          h(
            "td",
            { class: "actions" },
            h("button", { type: "button", class: "primary", onclick: trace }, "Trace"),
            h("button", { type: "button", onclick: () => this.#fillForm(f) }, "Edit…"),
          ),
        );
      }),
    );
  }

  /** Reloads the active traces: every Originator's (`/api/v1/traces`), or the requester's (active/*). */
  async refreshActive(): Promise<void> {
    if (this.#allOriginators.checked) return this.#refreshAll();
    const [flows, tunnels] = await Promise.all([
      get<{ flows: [string, string, string, number, number][] }>("/active/flow"),
      get<{ flows: [string, string, string, string, number, number][] }>("/active/tunnel"),
    ]);
    const fill = (body: HTMLElement, refs: TraceRef[] | undefined, failure: string) =>
      this.#fillActive(
        body,
        refs?.map((ref) => ({ ref })),
        failure,
      );
    fill(
      this.#activeFlows,
      flows.ok
        ? flows.body.flows.map(([dst, src, proto, sport, dport]) => ({
            kind: "flow" as const,
            src,
            dst,
            proto: proto.toLowerCase() === "tcp" ? ("tcp" as const) : ("udp" as const),
            sport,
            dport,
          }))
        : undefined,
      `active/flow failed: ${reason(flows)}`,
    );
    fill(
      this.#activeTunnels,
      tunnels.ok
        ? tunnels.body.flows.map(([src, dst, appdst, appsrc, vnid, sport]) => ({
            kind: "tunnel" as const,
            src,
            dst,
            appdst,
            appsrc,
            vnid,
            sport,
          }))
        : undefined,
      `active/tunnel failed: ${reason(tunnels)}`,
    );
  }

  /** Reloads every Originator's traces from `/api/v1/traces`. */
  async #refreshAll(): Promise<void> {
    const answer = await get<{ traces: TraceInfo[] }>("/api/v1/traces");
    const failure = `/api/v1/traces failed: ${reason(answer)}`;
    const traces = answer.ok && Array.isArray(answer.body?.traces) ? answer.body.traces : undefined;
    const of = (kind: TraceInfo["kind"]) =>
      traces
        ?.filter((t) => t.kind === kind)
        .map((t) => ({ ref: refOfTrace(t), owner: { originator: t.originator, address: t.address, state: t.state } }));
    this.#fillActive(this.#activeFlows, of("flow"), failure);
    this.#fillActive(this.#activeTunnels, of("tunnel"), failure);
  }

  /** Fills one active table: a row per trace (with its owner when known), `failure` when the list failed. */
  #fillActive(body: HTMLElement, traces: ActiveTrace[] | undefined, failure: string): void {
    if (traces === undefined) {
      replace(body, h("tr", {}, h("td", { colspan: "2" }, failure)));
      return;
    }
    if (traces.length === 0) {
      replace(body, h("tr", {}, h("td", { colspan: "2", class: "hint" }, "none")));
      return;
    }
    replace(
      body,
      traces.map(({ ref, owner }) => {
        const allowed = mayAct(owner);
        const denied = allowed ? {} : { disabled: true, title: "started by another originator" };
        return h(
          "tr",
          { class: "active-row" },
          h(
            "td",
            {},
            describe(ref),
            ...(owner === undefined ? [] : [h("span", { class: "hint owner" }, ` ${ownerText(owner)}`)]),
          ),
          h(
            "td",
            { class: "actions" },
            h("button", { type: "button", onclick: () => this.#host.showPath(ref), ...denied }, "View"),
            h("button", { type: "button", class: "danger", onclick: () => void this.#stop(ref), ...denied }, "Stop"),
          ),
        );
      }),
    );
  }

  async #trace(f: Discovered): Promise<void> {
    // Counting the flow at each hop feeds the flow bandwidth chart; the other parameters keep their defaults.
    const params = { ...refParams(f.ref), ...f.extra, bw_ingress: "true" };
    const answer = await get(`/start/${f.ref.kind}`, params);
    if (!answer.ok) {
      this.#discoveredStatus.textContent = `start/${f.ref.kind} failed: ${reason(answer)}`;
      return;
    }
    void this.refreshActive();
    this.#host.showPath(f.ref);
  }

  async #stop(ref: TraceRef): Promise<void> {
    const answer = await get(`/stop/${ref.kind}`, refParams(ref));
    this.#formStatus.textContent = answer.ok
      ? `Stopped ${describe(ref)}.`
      : `stop/${ref.kind} failed: ${reason(answer)}`;
    if (answer.ok && this.#state.selected !== null && describe(this.#state.selected) === describe(ref)) {
      this.#state.select(null);
    }
    await this.refreshActive();
  }

  #fillForm(f: Discovered): void {
    const set = (name: string, value: string | number) => {
      const el = this.#form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement | null;
      if (el !== null) el.value = String(value);
    };
    (this.#form.elements.namedItem("kind") as RadioNodeList).value = f.ref.kind;
    this.#syncKind();
    for (const [k, v] of Object.entries({ ...refParams(f.ref), ...f.extra })) set(k, v);
    (this.#form.elements.namedItem("src") as HTMLInputElement).focus();
  }

  #syncKind(): void {
    const kind = (this.#form.elements.namedItem("kind") as RadioNodeList).value;
    for (const set of this.#form.querySelectorAll<HTMLFieldSetElement>("fieldset[data-kind]")) {
      set.hidden = set.dataset.kind !== kind;
      set.disabled = set.dataset.kind !== kind;
    }
  }

  #buildForm(): HTMLFormElement {
    const form = h(
      "form",
      { id: "start-form", novalidate: true },
      h(
        "fieldset",
        { class: "kind" },
        h("legend", {}, "Trace a"),
        h("label", {}, h("input", { type: "radio", name: "kind", value: "flow", checked: true }), " flow"),
        h("label", {}, h("input", { type: "radio", name: "kind", value: "tunnel" }), " VXLAN tunnel flow"),
      ),
      h(
        "fieldset",
        { class: "grid-fields" },
        h("legend", {}, "Endpoints"),
        field("src", "src", { required: true, placeholder: "10.1.1.1" }, "source (VTEP for a tunnel)"),
        field("dst", "dst", { required: true, placeholder: "10.1.7.1" }, "destination (VTEP for a tunnel)"),
        field("sport", "sport", { inputmode: "numeric", placeholder: "33434" }),
        field("dport", "dport", { inputmode: "numeric", placeholder: "33434" }),
      ),
      h(
        "fieldset",
        { class: "grid-fields", "data-kind": "flow" },
        h("legend", {}, "Flow"),
        select("proto", "proto", [
          ["udp", "UDP"],
          ["tcp", "TCP"],
        ]),
      ),
      h(
        "fieldset",
        { class: "grid-fields", "data-kind": "tunnel", hidden: true, disabled: true },
        h("legend", {}, "Tunnel (inner application flow)"),
        field("vnid", "vnid", { inputmode: "numeric" }, "VXLAN network identifier"),
        field("appsrc", "appsrc", {}, "application source IP"),
        field("appdst", "appdst", {}, "application destination IP"),
        field("appsmac", "appsmac", { placeholder: "aa:bb:cc:dd:ee:ff" }),
        field("appdmac", "appdmac", { placeholder: "aa:bb:cc:dd:ee:ff" }),
      ),
      h(
        "fieldset",
        { class: "grid-fields" },
        h("legend", {}, "Collection"),
        field("sfreq", "sfreq (s)", { inputmode: "decimal", placeholder: "1" }, "seconds between rounds"),
        field("nhops", "nhops", { inputmode: "numeric", placeholder: "255" }),
        field("ntry", "ntry", { inputmode: "numeric", placeholder: "1" }, "tries in all"),
        field("timeout", "timeout (ms)", { inputmode: "numeric", placeholder: "30000" }),
        select("chksum", "chksum", [
          ["", "default (true)"],
          ["true", "true"],
          ["false", "false"],
        ]),
        select("bw_ingress", "bw_ingress", [
          ["", "default (false)"],
          ["true", "true"],
          ["false", "false"],
        ]),
      ),
      h(
        "fieldset",
        { class: "grid-fields" },
        h("legend", {}, "Mirror"),
        select("mirror_type", "mirror_type", [
          ["", "none"],
          ["ERSPAN", "ERSPAN"],
        ]),
        select("mirror_dir", "mirror_dir", [
          ["ingress", "ingress"],
          ["egress", "egress"],
          ["both", "both"],
        ]),
        field("mirror_analyzer", "mirror_analyzer", { placeholder: "10.9.9.9" }, "analyzer IPv4 address"),
      ),
      h(
        "fieldset",
        { class: "grid-fields" },
        h("legend", {}, "Requester"),
        field(
          "originator",
          "Originator header",
          { value: originator() },
          "owner of the traces you start; also sent with every other call",
        ),
      ),
      h("div", { class: "form-actions" }, h("button", { type: "submit", class: "primary" }, "Start")),
    );
    form.addEventListener("change", (e) => {
      if ((e.target as HTMLInputElement).name === "kind") this.#syncKind();
    });
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.#submit(form);
    });
    return form;
  }

  async #submit(form: HTMLFormElement): Promise<void> {
    const data = new FormData(form);
    const kind = data.get("kind") === "tunnel" ? "tunnel" : "flow";
    setOriginator(String(data.get("originator") ?? ""));
    const params: Record<string, string> = {};
    for (const [name, value] of data) {
      if (name === "kind" || name === "originator" || typeof value !== "string" || value.trim() === "") continue;
      if (name.startsWith("mirror_") && name !== "mirror_type" && data.get("mirror_type") === "") continue;
      params[name] = value.trim();
    }
    const answer = await get(`/start/${kind}`, params);
    if (!answer.ok) {
      this.#formStatus.textContent = `start/${kind} refused: ${reason(answer)}`;
      this.#formStatus.className = "status error";
      return;
    }
    this.#formStatus.className = "status ok";
    this.#formStatus.textContent = `start/${kind}: EOK (${params.src ?? ""} → ${params.dst ?? ""}).`;
    await this.refreshActive();
  }
}

/** A one-line description of a trace. */
export function describe(ref: TraceRef): string {
  return ref.kind === "flow"
    ? `${ref.src}:${ref.sport} → ${ref.dst}:${ref.dport} ${ref.proto.toUpperCase()}`
    : `${ref.src} → ${ref.dst} sport ${ref.sport} VNI ${ref.vnid} (${ref.appsrc} → ${ref.appdst})`;
}
