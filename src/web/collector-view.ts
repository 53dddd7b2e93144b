/**
 * The Collector view: the collector admin API (docs/collector.md, "Admin API") read through the agent's proxy
 * (`/api/ui/collector/...`): per interface its state, listeners, input figures and rates, files and throughput, packet
 * drops, file transfer, export channels with their current server and server states, inputs, and record files with
 * their states. Every figure cell carries `data-field`, the JSON path of the figure in the admin API's answer.
 */
import { get, reason } from "./api.ts";
import { clock, exact as num, h, replace } from "./dom.ts";
import type { FileStatus, InterfaceStatus, RateValue } from "./types.ts";

/** Refresh period while the view is shown, milliseconds. */
export const COLLECTOR_REFRESH_MS = 5000;

function cell(field: string, value: number | string | null | undefined): HTMLTableCellElement {
  const text = typeof value === "number" ? num(value) : (value ?? "–");
  return h("td", { "data-field": field, class: typeof value === "number" ? "n" : "" }, text);
}

function rateRows(prefix: string, rows: [string, string, RateValue][]): HTMLTableRowElement[] {
  return rows.map(([label, key, v]) =>
    h(
      "tr",
      {},
      h("th", { scope: "row" }, label),
      cell(`${prefix}.${key}.total`, v.total),
      cell(`${prefix}.${key}.perSecond`, v.perSecond),
      cell(`${prefix}.${key}.peakPerSecond`, v.peakPerSecond),
    ),
  );
}

function table(caption: string, head: string[], rows: HTMLTableRowElement[]): HTMLElement {
  return h(
    "div",
    { class: "table-scroll" },
    h(
      "table",
      { class: "grid" },
      h("caption", {}, caption),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          head.map((c) => h("th", { scope: "col" }, c)),
        ),
      ),
      h(
        "tbody",
        {},
        rows.length === 0 ? h("tr", {}, h("td", { colspan: String(head.length), class: "hint" }, "none")) : rows,
      ),
    ),
  );
}

function interfaceCard(i: InterfaceStatus, files: FileStatus[]): HTMLElement {
  const rateHead = ["", "total", "per second", "peak per second"];
  return h(
    "section",
    { class: "card collector-interface", "data-interface": i.name, "aria-label": `Collector interface ${i.name}` },
    h(
      "div",
      { class: "card-head" },
      h("h3", {}, i.name),
      h("span", { class: `state ${i.state === "Collecting flows" ? "ok" : "warn"}`, "data-field": "state" }, i.state),
    ),
    h(
      "p",
      {},
      "Listening on ",
      i.listeners.map((l, n) => h("code", { "data-field": `listeners.${n}.address` }, l.address)),
      ` · memory used `,
      h("span", { "data-field": "memory.used" }, num(i.memory.used)),
      `, free `,
      h("span", { "data-field": "memory.free" }, num(i.memory.free)),
      " · disk errors ",
      h("span", { "data-field": "diskErrors" }, num(i.diskErrors)),
    ),
    h(
      "div",
      { class: "collector-grid" },
      table("Input and files", rateHead, [
        ...rateRows("input", [
          ["Packets", "packets", i.input.packets],
          ["Bytes", "bytes", i.input.bytes],
          ["Flow records", "flowRecords", i.input.flowRecords],
        ]),
        ...rateRows("files", [
          ["Files created", "created", i.files.created],
          ["Files exported", "exported", i.files.exported],
          ["Files destroyed", "destroyed", i.files.destroyed],
        ]),
        ...rateRows("throughput", [
          ["Uncompressed bytes", "uncompressedBytes", i.throughput.uncompressedBytes],
          ["Compressed bytes", "compressedBytes", i.throughput.compressedBytes],
        ]),
        ...rateRows("fileTransfer", [
          ["Transfer bytes", "ftpBytes", i.fileTransfer.ftpBytes],
          ["Transfer files", "ftpFiles", i.fileTransfer.ftpFiles],
        ]),
      ]),
      table(
        "Packet drops",
        ["reason", "packets"],
        [
          ...Object.entries(i.drops).map(([k, v]) => h("tr", {}, h("th", { scope: "row" }, k), cell(`drops.${k}`, v))),
          h(
            "tr",
            {},
            h("th", { scope: "row" }, "transfer failures"),
            cell("fileTransfer.ftpFailure", i.fileTransfer.ftpFailure),
          ),
        ],
      ),
    ),
    table(
      "Export channels",
      ["channel", "current server", "primary", "secondary", "queued files"],
      i.exportChannels.map((c, n) =>
        h(
          "tr",
          {},
          cell(`exportChannels.${n}.channel`, c.channel),
          cell(`exportChannels.${n}.currentServer`, c.currentServer),
          h(
            "td",
            {},
            h(
              "span",
              { "data-field": `exportChannels.${n}.primaryState`, class: `state ${stateClass(c.primaryState)}` },
              c.primaryState,
            ),
            " ",
            h("code", {}, c.primaryUrl),
          ),
          h(
            "td",
            {},
            h(
              "span",
              { "data-field": `exportChannels.${n}.secondaryState`, class: `state ${stateClass(c.secondaryState)}` },
              c.secondaryState,
            ),
            " ",
            h("code", {}, c.secondaryUrl ?? ""),
          ),
          cell(`exportChannels.${n}.queuedFiles`, c.queuedFiles),
        ),
      ),
    ),
    table(
      "Inputs",
      ["input", "exporter", "packets", "bytes", "flows", "in order", "lost", "out of order", "resets"],
      i.inputs.map((x, n) =>
        h(
          "tr",
          {},
          cell(`inputs.${n}.name`, x.name),
          cell(`inputs.${n}.exporter`, x.exporter),
          cell(`inputs.${n}.packets`, x.packets),
          cell(`inputs.${n}.bytes`, x.bytes),
          cell(`inputs.${n}.flows`, x.flows),
          cell(`inputs.${n}.sequence.inOrder`, x.sequence.inOrder),
          cell(`inputs.${n}.sequence.lost`, x.sequence.lost),
          cell(`inputs.${n}.sequence.outOfOrder`, x.sequence.outOfOrder),
          cell(`inputs.${n}.sequence.resets`, x.sequence.resets),
        ),
      ),
    ),
    table(
      "Files",
      ["file", "input", "channel", "state", "records", "uncompressed bytes", "compressed bytes", "blocks", "attempts"],
      files.map((f, n) =>
        h(
          "tr",
          { "data-file": f.name },
          cell(`fileList.${n}.name`, f.name),
          cell(`fileList.${n}.input`, f.input),
          cell(`fileList.${n}.channel`, f.channel),
          h(
            "td",
            { "data-field": `fileList.${n}.state` },
            h("span", { class: `state ${stateClass(f.state)}` }, f.state),
          ),
          cell(`fileList.${n}.records.total`, f.records.total),
          cell(`fileList.${n}.uncompressedBytes.total`, f.uncompressedBytes.total),
          cell(`fileList.${n}.compressedBytes.total`, f.compressedBytes.total),
          cell(`fileList.${n}.compressedBlocks`, f.compressedBlocks),
          cell(`fileList.${n}.transferAttempts`, f.transferAttempts),
        ),
      ),
    ),
  );
}

function stateClass(state: string): string {
  if (state === "OK" || state === "Exported" || state === "Active") return "ok";
  if (state === "Failed") return "bad";
  return "neutral";
}

/** The Collector view's controller. */
export class CollectorView {
  readonly element: HTMLElement;
  readonly #status = h("p", { class: "status", role: "status", id: "collector-status" });
  readonly #body = h("div", { class: "collector-body" });
  #timer: ReturnType<typeof setInterval> | undefined;
  #loading = false;

  constructor() {
    this.element = h(
      "section",
      { id: "view-collector", class: "view", "aria-labelledby": "collector-title" },
      h(
        "div",
        { class: "toolbar" },
        h("h2", { id: "collector-title" }, "Collector"),
        h("button", { type: "button", id: "collector-refresh", onclick: () => void this.refresh() }, "Refresh"),
      ),
      this.#status,
      this.#body,
    );
  }

  /** Starts or stops the periodic refresh with the view's visibility. */
  setVisible(visible: boolean): void {
    if (visible && this.#timer === undefined) {
      void this.refresh();
      this.#timer = setInterval(() => void this.refresh(), COLLECTOR_REFRESH_MS);
    } else if (!visible && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  /** Reads the admin API once. */
  async refresh(): Promise<void> {
    if (this.#loading) return;
    this.#loading = true;
    try {
      const [interfaces, files] = await Promise.all([
        get<{ interfaces: InterfaceStatus[] }>("/api/ui/collector/interfaces"),
        get<{ interfaces: { name: string; files: FileStatus[] }[] }>("/api/ui/collector/interfaces/all/files"),
      ]);
      if (!interfaces.ok) {
        this.#status.textContent = `The collector's admin API cannot be read: ${reason(interfaces)}`;
        this.#status.dataset.state = "error";
        this.#body.replaceChildren();
        return;
      }
      const byName = new Map((files.ok ? files.body.interfaces : []).map((x) => [x.name, x.files]));
      replace(
        this.#body,
        interfaces.body.interfaces.map((i) => interfaceCard(i, byName.get(i.name) ?? [])),
      );
      this.#status.dataset.state = "ok";
      this.#status.textContent =
        `${interfaces.body.interfaces.length} interfaces, updated ${clock(Date.now() / 1000)}` +
        (files.ok ? "." : ` (files: ${reason(files)}).`);
    } finally {
      this.#loading = false;
    }
  }
}
