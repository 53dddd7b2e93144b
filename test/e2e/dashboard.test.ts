/**
 * Browser tests of the dashboard (docs/dashboard.md): Debian's chromium, driven by playwright-core, against a real
 * `flowlens up` on free loopback ports (agent, collector admin and exporter admin on port 0, the collector's UDP port
 * picked free beforehand). They check that the Path view shows the simulated path's hops under the names data/flow
 * gives and updates live, that the start form creates an active flow, that the Collector view's figures equal the
 * admin API's, and they write a screenshot of each view under test-output/e2e/ for a person to look at.
 */
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { type Browser, chromium, type Page } from "playwright-core";
import { type Child, startChild, waitFor } from "../helpers/processes.ts";
import { requirement } from "../helpers/requirements.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CHROMIUM = "/usr/bin/chromium";
const SHOTS = join(ROOT, "test-output/e2e");
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
/** The simulated fabric's flow the spec's examples trace. */
const FLOW = { src: "10.1.1.1", dst: "10.1.7.1", proto: "tcp", sport: "4567", dport: "9000" };

const skip = requirement(existsSync(CHROMIUM), `${CHROMIUM} not installed (apt-get install chromium)`);

/** A UDP port free on loopback right now (the collector binds it a moment later). */
async function freeUdpPort(): Promise<number> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

interface Hop {
  HOP: number;
  DevName?: string;
  HopAddress: string | null;
  EgressIFLName?: string;
}

/** What the dashboard shows as a hop's name (src/web/path-graph.ts, hopLabel). */
function hopLabel(hop: Hop): string {
  return hop.DevName ?? hop.HopAddress ?? "no response";
}

describe("dashboard in chromium against flowlens up", { skip, timeout: 58_000 }, () => {
  let up: Child;
  let dataDir: string;
  let agentUrl: string;
  let adminUrl: string;
  let browser: Browser;
  let page: Page;

  const api = async (path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${agentUrl}${path}`, { headers });
    return { status: res.status, body: (await res.json()) as unknown };
  };
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    dataDir = mkdtempSync(join(tmpdir(), "flowlens-e2e-"));
    const udp = await freeUdpPort();
    up = startChild(process.execPath, [join(ROOT, "bin/flowlens.js"), "up", "--data-dir", dataDir], {
      cwd: ROOT,
      env: {
        ...process.env,
        // Every daemon on loopback and on a free port, never the defaults (other suites may run flowlens up too).
        FLOWLENS_HTTP_PORT: "0",
        FLOWLENS_ADMIN_PORT: "0",
        FLOWLENS_INTERFACES_CP_0_0_0_LISTEN: `["127.0.0.1:${udp}"]`,
        FLOWLENS_OUTPUT_CFLOWD_0_PORT: String(udp),
      },
    });
    const banner = await waitFor(
      "flowlens up's banner",
      () => {
        if (up.process.exitCode !== null) throw new Error(`flowlens up exited: ${up.stderr}`);
        const agent = /Compute Agent API on (http:\/\/127\.0\.0\.1:\d+)/.exec(up.stderr)?.[1];
        const admin = /collector listening on .* admin API (http:\/\/127\.0\.0\.1:\d+)/.exec(up.stderr)?.[1];
        return agent !== undefined && admin !== undefined && /exporter sending/.test(up.stderr)
          ? { agent, admin }
          : undefined;
      },
      30_000,
    );
    agentUrl = banner!.agent;
    adminUrl = banner!.admin;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(15_000);
  });

  after(async () => {
    await browser?.close();
    await up?.stop();
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
  });

  it("labels the fabric as simulated and traces a discovered flow with Enter: the path view shows data/flow's hops, live", async () => {
    await page.goto(`${agentUrl}/#flows`);
    await page.locator("#network", { hasText: "SIMULATED FABRIC" }).waitFor();
    assert.ok(await page.locator("#banner").isVisible(), "the simulation banner is shown");
    const label = `${FLOW.src}:${FLOW.sport} → ${FLOW.dst}:${FLOW.dport} TCP`;
    const row = page.locator(`tr.flow-row[data-flow="${label}"]`);
    await row.waitFor();
    await shot("flows");
    await row.focus();
    await page.keyboard.press("Enter");
    await page.waitForURL(/#path$/);
    await page.locator(".hop-name").first().waitFor();
    await page.locator("#path-title", { hasText: "flow 10.1.1.1:4567 > 10.1.7.1:9000 tcp" }).waitFor();
    assert.ok(await page.locator(".graph canvas").count(), "cytoscape drew the graph");

    const query = new URLSearchParams(FLOW).toString();
    const path = (await api(`/data/flow?${query}`)).body as { Path: Hop[] };
    assert.ok(path.Path.length >= 3, "the simulated path has several hops");
    const expected = path.Path.map(hopLabel);
    await waitFor("the hop list to match data/flow", async () => {
      const shown = await page.locator(".hop-name").allTextContents();
      return JSON.stringify(shown) === JSON.stringify(expected);
    });
    assert.deepEqual(
      await page.locator(".hop-number").allTextContents(),
      path.Path.map((h) => String(h.HOP)),
    );

    // Keyboard: the first hop's button takes Enter and shows every element of that hop.
    await page.locator('.hop-button[data-hop="1"]').focus();
    await page.keyboard.press("Enter");
    const details = page.locator(".hop-details");
    await details.locator("h3", { hasText: `Hop 1: ${expected[0]}` }).waitFor();
    const first = path.Path[0]!;
    if (first.EgressIFLName !== undefined) {
      await details.locator("tr.chosen th", { hasText: first.EgressIFLName }).first().waitFor();
    }
    assert.match((await details.locator("pre").textContent()) ?? "", /"HopStatus": "OK"/);

    // Live: the status line names the round's time; it changes as rounds arrive over the event stream.
    await page.locator("#live", { hasText: "live" }).waitFor();
    const status = page.locator("#view-path .status");
    const firstStatus = await status.textContent();
    await waitFor("a newer round to be drawn", async () => (await status.textContent()) !== firstStatus, 10_000);
    await shot("path");
    await page.setViewportSize({ width: 390, height: 844 });
    await shot("path-narrow");
    await page.setViewportSize({ width: 1280, height: 800 });

    await page.click('nav a[href="#series"]');
    await page.locator("figure.chart").nth(4).waitFor();
    await waitFor("two rounds in the charts", async () =>
      /([2-9]|\d\d+) rounds/.test((await page.locator("#view-series .status").textContent()) ?? ""),
    );
    assert.equal(await page.locator("figure.chart .uplot canvas").count(), 5);
    await shot("series");
  });

  it("starting a trace from the form creates an active flow with its Originator; Stop ends it", async () => {
    await page.goto(`${agentUrl}/#flows`);
    await page.reload(); // a fresh document: focus at its start
    await page.locator("tr.flow-row").first().waitFor();
    // Tab order: the skip link, then the views, in reading order.
    const focused = () => page.evaluate(() => document.activeElement?.textContent?.trim() ?? "");
    await page.keyboard.press("Tab");
    assert.equal(await focused(), "Skip to content");
    await page.keyboard.press("Tab");
    assert.equal(await focused(), "Flows");
    await page.keyboard.press("Tab");
    assert.equal(await focused(), "Path");
    const form = page.locator("#start-form");
    await form.locator("#start-src").fill("10.1.3.1");
    await form.locator("#start-dst").fill("10.1.8.1");
    await form.locator("#start-sport").fill("51234");
    await form.locator("#start-dport").fill("443");
    await form.locator("#start-proto").selectOption("tcp");
    await form.locator("#start-sfreq").fill("2");
    await form.locator("#start-nhops").fill("30");
    await form.locator("#start-bw_ingress").selectOption("true");
    await form.locator("#start-originator").fill("e2e-dashboard");
    await form.locator('button[type="submit"]').click();
    await page.locator("#start-result", { hasText: "EOK" }).waitFor();

    const active = (await api("/active/flow", { originator: "e2e-dashboard" })).body as { flows: unknown[][] };
    assert.deepEqual(active.flows, [["10.1.8.1", "10.1.3.1", "tcp", 51234, 443]]);
    const row = page.locator("#active-flows tr.active-row", { hasText: "10.1.3.1:51234 → 10.1.8.1:443 TCP" });
    await row.waitFor();
    await shot("flows-started");

    await page.setViewportSize({ width: 390, height: 844 });
    await shot("flows-narrow");
    await page.setViewportSize({ width: 1280, height: 800 });

    await row.locator("button", { hasText: "Stop" }).click();
    await page.locator("#start-result", { hasText: "Stopped" }).waitFor();
    const after = (await api("/active/flow", { originator: "e2e-dashboard" })).body as { flows: unknown[][] };
    assert.deepEqual(after.flows, []);
  });

  it("the collector view's figures equal the admin API's", async () => {
    // Wait for the exporter's first export (every 10 s), so the figures compared are not all zero.
    await waitFor(
      "the collector to receive an export",
      async () => {
        const body = (await (await fetch(`${adminUrl}/api/v1/interfaces`)).json()) as {
          interfaces: { input: { packets: { total: number } } }[];
        };
        return body.interfaces[0]!.input.packets.total > 0;
      },
      25_000,
      250,
    );
    await page.goto(`${agentUrl}/#collector`);
    const card = page.locator(".collector-interface").first();
    await card.waitFor();
    // The collector's figures move when an export arrives (every 10 s): compare a refresh with a read made right after,
    // and retry when an export fell between the two.
    let mismatch = "";
    const matched = await waitFor(
      "the collector view to equal the admin API",
      async () => {
        const before = await page.locator("#collector-status").textContent();
        await page.click("#collector-refresh");
        await waitFor(
          "the refresh",
          async () => (await page.locator("#collector-status").textContent()) !== before,
          5000,
          20,
        ).catch(() => undefined);
        const shown = await page.locator(".collector-interface").evaluateAll((cards) =>
          cards.map((c) => ({
            name: (c as HTMLElement).dataset.interface,
            fields: [...c.querySelectorAll<HTMLElement>("[data-field]")].map((f) => [f.dataset.field!, f.textContent!]),
          })),
        );
        const interfaces = ((await (await fetch(`${adminUrl}/api/v1/interfaces`)).json()) as { interfaces: unknown[] })
          .interfaces;
        const files = (
          (await (await fetch(`${adminUrl}/api/v1/interfaces/all/files`)).json()) as {
            interfaces: { name: string; files: unknown[] }[];
          }
        ).interfaces;
        mismatch = compare(shown, interfaces as Record<string, unknown>[], files);
        return mismatch === "";
      },
      25_000,
      200,
    ).catch(() => false);
    assert.ok(matched, `collector view differs from the admin API: ${mismatch}`);
    const fields = await card.locator("[data-field]").count();
    assert.ok(fields > 30, `many figures compared (${fields})`);
    await shot("collector");
  });
});

/** Compares the view's `data-field` cells with the admin API's values; returns the first difference, or "". */
function compare(
  shown: { name: string | undefined; fields: string[][] }[],
  interfaces: Record<string, unknown>[],
  files: { name: string; files: unknown[] }[],
): string {
  if (shown.length !== interfaces.length) return `${shown.length} interfaces shown, ${interfaces.length} in the API`;
  for (const [n, view] of shown.entries()) {
    const api = interfaces[n]!;
    if (view.name !== api.name) return `interface ${n}: ${view.name} shown, ${String(api.name)} in the API`;
    const doc = { ...api, fileList: files.find((f) => f.name === api.name)?.files ?? [] };
    for (const [field, text] of view.fields) {
      const value = field!.split(".").reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], doc);
      const shownValue = typeof value === "number" ? Number(text!.replaceAll(",", "")) : text!.trim();
      if (shownValue !== value) return `${String(api.name)} ${field}: shown ${text}, API ${JSON.stringify(value)}`;
    }
  }
  return "";
}
