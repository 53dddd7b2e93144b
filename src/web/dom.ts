/** Small DOM helpers: element creation with attributes and children, and text formatting. */

type Child = Node | string | number | null | undefined | false;

/** Creates `<tag>` with attributes (`on*` functions become listeners; `true` sets a boolean attribute) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, unknown> = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2).toLowerCase(), value as EventListener);
    } else if (value === true) {
      el.setAttribute(name, "");
    } else {
      el.setAttribute(name, String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** Replaces every child of `el`. */
export function replace(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren();
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

/** A number with thousands separators (`1 234 567`), or `–` when absent. */
export function num(value: number | undefined | null, digits = 0): string {
  if (value === undefined || value === null || !Number.isFinite(value)) return "–";
  return value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** Seconds as milliseconds text (`7.78 ms`). */
export function ms(seconds: number | undefined): string {
  return seconds === undefined ? "–" : `${(seconds * 1000).toFixed(2)} ms`;
}

/** Bytes per second as bits per second with a unit (`126.9 Mb/s`). */
export function bitRate(bytesPerSecond: number | undefined): string {
  if (bytesPerSecond === undefined) return "–";
  const bits = bytesPerSecond * 8;
  const units = ["b/s", "kb/s", "Mb/s", "Gb/s", "Tb/s"];
  let v = bits;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/** Epoch seconds as local `HH:MM:SS`. */
export function clock(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toLocaleTimeString("en-GB", { hour12: false });
}

/** A number exactly as given, with thousands separators (`1,234.5`). */
export function exact(value: number): string {
  return value.toLocaleString("en-US", { maximumFractionDigits: 20 });
}
