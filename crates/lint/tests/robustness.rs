//! The lint runs on untrusted text in the host process: it must never panic and never overflow
//! the stack, whatever it is fed.

use spatialclaw_lint::{MAX_NESTING, Policy, check_syntax, lint, show_call_labels};

/// A small deterministic PRNG (xorshift64*), so failures reproduce without extra dependencies.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n.max(1) as u64).unwrap_or(0)
    }
}

fn exercise(code: &str) {
    let report = lint(code, &Policy::default());
    let _ = report.render();
    let _ = check_syntax(code);
    let _ = show_call_labels(code);
    for d in &report.diagnostics {
        assert!(
            d.line >= 1 && d.column >= 1,
            "bad position in {d:?} for {code:?}"
        );
    }
    if let Some(s) = &report.syntax {
        assert!(
            s.line >= 1 && s.column >= 1,
            "bad syntax position {s:?} for {code:?}"
        );
    }
}

const FRAGMENTS: &[&str] = &[
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ":",
    ",",
    ".",
    "=",
    "==",
    ":=",
    "+",
    "-",
    "*",
    "**",
    "/",
    "@",
    "\n",
    "\n    ",
    "\t",
    " ",
    "\\\n",
    "'",
    "\"",
    "'''",
    "f'",
    "f\"{",
    "}\"",
    "b'",
    "r'",
    "#",
    "def ",
    "class ",
    "lambda ",
    "for ",
    " in ",
    "if ",
    "else",
    "elif ",
    "while ",
    "return ",
    "yield ",
    "await ",
    "async ",
    "import ",
    "from ",
    " as ",
    "global ",
    "nonlocal ",
    "del ",
    "try:",
    "except ",
    "finally:",
    "with ",
    "match ",
    "case ",
    "_",
    "x",
    "open",
    "eval",
    "getattr",
    "__class__",
    "__builtins__",
    "show",
    "tools",
    "np",
    "scipy.io",
    "'{0.__class__}'",
    "é",
    "😀",
    "\u{0}",
    "\r",
    "%",
    "!",
    "0x",
    "1e",
    "1_000",
    "...",
    "*args",
    "**kw",
    "->",
];

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..400 {
        let len = rng.below(200);
        let bytes: Vec<u8> = (0..len).map(|_| (rng.next() & 0xFF) as u8).collect();
        exercise(&String::from_utf8_lossy(&bytes));
    }
}

#[test]
fn random_token_soup_never_panics() {
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    for _ in 0..1500 {
        let n = rng.below(60);
        let code: String = (0..n)
            .map(|_| FRAGMENTS[rng.below(FRAGMENTS.len())])
            .collect();
        exercise(&code);
    }
}

#[test]
fn mutated_valid_cells_never_panic() {
    let seeds = [
        "import numpy as np\nx = np.array([[1, 2], [3, 4]])\nprint(f'{x.shape}')\n",
        "def f(a, *b, c=1, **d):\n    return [i for i in b if i]\nclass A(B):\n    def __init__(self):\n        super().__init__()\n",
        "match v:\n    case {'k': [a, *rest]} if a:\n        pass\n    case C(x=1):\n        pass\n",
        "try:\n    y = (z := 3)\nexcept* E as e:\n    pass\nwith a as b, c as d:\n    del b\n",
        "async def g():\n    async for i in x:\n        await i\n    return [j async for j in y]\n",
    ];
    let mut rng = Rng(42);
    for _ in 0..1500 {
        let seed = seeds[rng.below(seeds.len())];
        let mut chars: Vec<char> = seed.chars().collect();
        for _ in 0..=rng.below(6) {
            let at = rng.below(chars.len() + 1);
            match rng.below(3) {
                0 if at < chars.len() => {
                    chars.remove(at);
                }
                1 => {
                    let fragment = FRAGMENTS[rng.below(FRAGMENTS.len())];
                    for (k, ch) in fragment.chars().enumerate() {
                        chars.insert((at + k).min(chars.len()), ch);
                    }
                }
                _ if chars.len() > 1 => {
                    let other = rng.below(chars.len());
                    let at = at.min(chars.len() - 1);
                    chars.swap(at, other);
                }
                _ => {}
            }
        }
        exercise(&chars.into_iter().collect::<String>());
    }
}

#[test]
fn deep_but_legal_cells_are_linted_on_a_small_stack() {
    // Just under the nesting cap: every rule pass must grow its stack instead of overflowing.
    let depth = MAX_NESTING - 10;
    let cells = vec![
        format!("x = {}1\n", "a+".repeat(depth)),
        format!("x = {}1\n", "-".repeat(depth)),
        format!("x = {}\n", "f(".repeat(150) + &")".repeat(150)),
        format!("x = a{}\n", ".b".repeat(depth)),
        format!("x = {}0\n", "lambda: ".repeat(depth / 2)),
        format!("x = {}", "not ".repeat(depth)) + "y\n",
    ];
    let handle = std::thread::Builder::new()
        .stack_size(128 * 1024)
        .spawn(move || {
            for cell in &cells {
                let report = lint(cell, &Policy::default());
                assert!(report.syntax.is_none(), "{}", report.render());
                let _ = show_call_labels(cell);
            }
        })
        .unwrap();
    handle.join().unwrap();
}

#[test]
fn pathological_sizes_are_refused_quickly() {
    exercise(&"x".repeat(spatialclaw_lint::MAX_CELL_BYTES + 1));
    exercise(&"(".repeat(100_000));
    exercise(&"[".repeat(50_000));
    exercise(&"\n".repeat(100_000));
    exercise(&format!("x = {}1", "+".repeat(100_000)));
    exercise(&"    ".repeat(10_000));
    exercise(&("if x:\n".to_owned() + &" ".repeat(5000) + "pass\n"));
}
