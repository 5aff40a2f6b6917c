// The boxed report selfware prints after a file change when its checks ran
// (output::verification_report; shown whole when a check failed):
//
//   ║         VERIFICATION REPORT              ║
//   ║ Trigger: file_write:./src/lib.rs        ║
//   ║ Status: ✗ FAILED                        ║
//   ║ ✗ type_check: 2496ms
//   ║   └─ src/lib.rs: the trait bound `TaskManage...
//   ╚══════════════════════════════════════════╝
//
// The tool itself ran (the file was written); the report says the project no
// longer checks, which megatest reports as an error.

/** A box that never closes stops being read after this many lines. */
export const BOX_MAX_LINES = 200;

export class VerificationBox {
  private trigger: string | null = null;
  private failed = false;
  private firstCheck: string | null = null;
  private firstDetail: string | null = null;
  lines = 0;

  /** Reads one line inside the box. */
  feed(line: string): void {
    this.lines += 1;
    const body = line.replace(/^[║╠╔╚]\s*/u, '').replace(/\s*[║╣╗╝]\s*$/u, '').trim();
    const trigger = /^Trigger:\s*(.+)$/u.exec(body);
    if (trigger) this.trigger ??= trigger[1]!.trim();
    if (/^Status:\s*✗\s*FAILED/u.test(body)) this.failed = true;
    const check = /^✗\s*(.+)$/u.exec(body);
    if (check) this.firstCheck ??= check[1]!.trim();
    const detail = /^└─\s*(.+)$/u.exec(body);
    if (detail) this.firstDetail ??= detail[1]!.trim();
  }

  /** The error to report when the status said FAILED; null otherwise. */
  failure(): string | null {
    if (!this.failed) return null;
    const parts = ['selfware verification failed'];
    if (this.trigger) parts[0] += ` after ${this.trigger}`;
    if (this.firstCheck) parts.push(this.firstCheck);
    if (this.firstDetail) parts.push(this.firstDetail);
    return parts.join(': ');
  }
}
