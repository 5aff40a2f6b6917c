// One building block of a sim project: a real JavaScript module and the
// node:test file that exercises it, plus the deliberate defect the sim can
// plant in it (a one-line substitution that a test catches) to give the
// refinement phase something real to fix.

export interface SimComponent {
  /** File stem: src/<id>.js and test/<id>.test.js. */
  id: string;
  title: string;
  /** Module source, clean. */
  module: string;
  /** node:test source importing ../src/<id>.js. */
  test: string;
  /** Replacing `find` (which occurs exactly once in `module`) plants a bug that a test in `test` catches. */
  bug: { find: string; replace: string; note: string };
  /** Components this one imports; written alongside when missing. */
  requires: string[];
}
