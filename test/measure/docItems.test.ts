// Doc coverage of Rust (`pub` items with a doc comment) and Python (public
// functions, classes and methods with a docstring): each case marks its
// items in the text itself (DOC / NODOC at the end of the line that declares
// one), and the expected figures are counted from those marks.

import { describe, expect, it } from 'vitest';
import { countDocumentedItems, isApiFile, measureDocCoverage } from '../../src/measure/docCoverage.js';
import { countDocumentedPythonItems } from '../../src/measure/docItemsPython.js';
import { countDocumentedRustItems } from '../../src/measure/docItemsRust.js';
import { figuresOfContent } from '../../src/measure/fileFigures.js';
import { languageByName } from '../../src/measure/languages.js';
import { ProjectFigures } from '../../src/measure/projectFigures.js';
import { scanRustSource } from '../../src/measure/sourceScanners.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** What the marks say: items marked DOC are documented, NODOC are not; lines with neither declare no counted item. */
function marked(text: string): { documented: number; total: number } {
  const documented = text.split('\n').filter((line) => / DOC$/.test(line)).length;
  const undocumented = text.split('\n').filter((line) => / NODOC$/.test(line)).length;
  return { documented, total: documented + undocumented };
}

const RUST = [
  '//! The crate.',
  '',
  '/// Adds.',
  'pub fn add(a: u64, b: u64) -> u64 { a + b } // DOC',
  'pub fn sub(a: u64, b: u64) -> u64 { a - b } // NODOC',
  '/// A store.',
  '#[derive(Debug, Clone)]',
  '',
  'pub struct Store { // DOC',
  '    pub items: Vec<u8>,',
  '}',
  '#[derive(',
  '    Debug,',
  ')]',
  'pub enum Kind { A, B } // NODOC',
  '/** Block doc. */',
  'pub trait Named {} // DOC',
  '/* not a doc */',
  'pub type Id = u64; // NODOC',
  '#[doc = "Attribute doc."]',
  'pub const LIMIT: usize = 3; // DOC',
  '/// Doc.',
  '// an ordinary comment between',
  'pub static NAME: &str = "pub fn in_a_string() {}"; // DOC',
  'pub(crate) fn internal() {}',
  'fn private() {}',
  'pub mod inner {}',
  'impl Store {',
  '    /// New.',
  '    pub fn new() -> Self { Store { items: vec![] } } // DOC',
  '    pub async fn load(&self) {} // NODOC',
  '    pub const unsafe fn raw(&self) {} // NODOC',
  '    fn helper(&self) {}',
  '}',
  '//// four slashes: not a doc comment',
  'pub union U { a: u32 } // NODOC',
  '// pub fn commented_out() {}',
  '/* pub fn in_a_block() {} */',
  'pub extern "C" fn exported() {} // NODOC',
].join('\n');

const PYTHON = [
  '"""The module."""',
  'import os',
  '',
  'def add(a, b): # DOC',
  '    """Add."""',
  '    return a + b',
  '',
  'def sub(a, b): # NODOC',
  '    return a - b',
  '',
  'async def fetch(url): # DOC',
  '    # a comment first',
  "    r'''Raw docstring.'''",
  '',
  'def _private():',
  '    pass',
  '',
  'def long_signature( # DOC',
  '    a: int,',
  '    b: dict[str, int] = {"k": 1},',
  ') -> int:',
  '    """Long."""',
  '',
  'def one_line(): return 1 # NODOC',
  'def one_line_doc(): "Doc." # DOC',
  '',
  'class Store: # DOC',
  '    """A store."""',
  '',
  '    def __init__(self):',
  '        pass',
  '',
  '    @property',
  '    def size(self): # NODOC',
  '        def inner():',
  '            """Not counted: inside a function."""',
  '        return 0',
  '',
  '    def get(self, key): # DOC',
  '        """Get."""',
  '',
  '    class Meta: # NODOC',
  '        pass',
  '',
  'class _Hidden:',
  '    def shown(self):',
  '        """Not counted: its class is private."""',
  '',
  'TEXT = """',
  'def in_a_string():',
  '    pass',
  '"""',
  '',
  'def f_string_first(): # NODOC',
  '    f"not a docstring {TEXT}"',
  '',
  'if True:',
  '    def conditional(): # NODOC',
  '        pass',
  'try:',
  '    class Fallback: # DOC',
  '        """A class defined under try: still the module one."""',
  '        def method(self): # NODOC',
  '            pass',
  'except ImportError:',
  '    pass',
  '',
  'def outer(): # NODOC',
  '    value = call(',
  '1, 2)',
  '    def inner():',
  '        """Not counted: inside a function, whatever the line above it."""',
].join('\n');

describe('doc coverage of Rust', () => {
  it('counts pub items, documented by ///, /** */ or #[doc], through attributes and comments', () => {
    expect(countDocumentedRustItems(RUST, scanRustSource(RUST))).toEqual(marked(RUST));
    expect(countDocumentedItems('src/lib.rs', RUST)).toEqual(marked(RUST));
  });
});

describe('doc coverage of Rust with nested block comments', () => {
  it('reads an item inside a nested comment as no item, and a doc block holding a nested comment as its doc', () => {
    const text = [
      '/* commented out:',
      '   /* an inner comment */',
      '   pub fn gone() {}',
      '*/',
      'pub fn after_a_comment() {} // NODOC',
      '/** Doc, with an example:',
      ' * /* nested */',
      ' */',
      'pub fn documented() {} // DOC',
    ].join('\n');
    expect(countDocumentedRustItems(text, scanRustSource(text))).toEqual(marked(text));
    expect(marked(text)).toEqual({ documented: 1, total: 2 });
  });
});

describe('doc coverage of Python', () => {
  it('counts public functions, classes and methods, documented by a docstring', () => {
    expect(countDocumentedPythonItems(PYTHON)).toEqual(marked(PYTHON));
    expect(countDocumentedItems('pkg/mod.py', PYTHON)).toEqual(marked(PYTHON));
  });

  it('is API: not pytest’s test files, nor Cargo’s tests/, benches/ and examples/', () => {
    for (const file of ['tests/test_store.py', 'store_test.py', 'pkg/conftest.py', 'tests/common/mod.rs', 'crates/core/benches/b.rs', 'examples/demo.rs']) expect(isApiFile(file), file).toBe(false);
    for (const file of ['tests/helpers.py', 'pkg/store.py', 'src/lib.rs', 'crates/core/src/tests.rs', 'src/tests/mod.ts']) expect(isApiFile(file), file).toBe(true);
  });
});

describe('measureDocCoverage across languages', () => {
  it('adds up Rust, Python and JavaScript files', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'megatest-doc-items-'));
    try {
      mkdirSync(path.join(root, 'src'));
      writeFileSync(path.join(root, 'src', 'lib.rs'), RUST);
      writeFileSync(path.join(root, 'tool.py'), PYTHON);
      writeFileSync(path.join(root, 'index.js'), '/** Yes. */\nexport function a() {}\n');
      // Not API: left out whatever they hold.
      mkdirSync(path.join(root, 'tests', 'common'), { recursive: true });
      writeFileSync(path.join(root, 'tests', 'common', 'mod.rs'), 'pub fn setup() {}\n');
      writeFileSync(path.join(root, 'tests', 'test_tool.py'), 'def test_it():\n    pass\n');
      const rust = marked(RUST);
      const python = marked(PYTHON);
      expect(await measureDocCoverage(root)).toBeCloseTo(((rust.documented + python.documented + 1) / (rust.total + python.total + 1)) * 100, 10);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('the per-file sums (ProjectFigures) leave the same files out', () => {
  it('as the full recount does', () => {
    const figures = new ProjectFigures();
    const add = (file: string, text: string) => figures.set(file, figuresOfContent(path.basename(file), Buffer.from(text), languageByName(path.basename(file))));
    add('src/lib.rs', RUST);
    add('tests/common/mod.rs', 'pub fn setup() {}\n');
    add('tests/test_tool.py', 'def test_it():\n    pass\n');
    expect(figures.docCount()).toEqual(marked(RUST));
    // Lines of code still count them.
    expect(figures.loc().total.files).toBe(3);
  });
});
