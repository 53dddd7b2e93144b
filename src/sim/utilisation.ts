/**
 * Device CPU and memory utilisation that move with time: `base` plus a sine of amplitude `swing` and period `period-s`,
 * plus a faster ripple of a quarter of that amplitude (period / 7.3), each device at its own phase. Closed-form, so
 * the same time always gives the same value. Percent, 0 to 100, one decimal.
 */

/** Parameters of one utilisation (topology `cpu` / `memory`). */
export interface UtilisationModel {
  base: number;
  swing: number;
  "period-s": number;
}

/** The utilisation at `u` seconds after the fabric's start, for a device at `phase` radians. */
export function utilisationAt(model: UtilisationModel, u: number, phase: number): number {
  const w = (2 * Math.PI) / model["period-s"];
  const value =
    model.base + model.swing * Math.sin(w * u + phase) + 0.25 * model.swing * Math.sin(7.3 * w * u + 2 * phase);
  return Math.round(Math.min(100, Math.max(0, value)) * 10) / 10;
}
