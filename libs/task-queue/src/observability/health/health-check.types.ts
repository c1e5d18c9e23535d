/** The outcome of one check, in the shape Terminus reports (`status` plus details). @publicApi */
export interface CheckOutcome {
  readonly up: boolean;
  readonly details: Readonly<Record<string, unknown>>;
}

/** A probe's answer: up when every check is up. @publicApi */
export interface ProbeOutcome {
  readonly up: boolean;
  readonly checks: Readonly<Record<string, CheckOutcome>>;
}
