//! What the agent's cells may use: the import allow-list, the off-limits corners of allowed
//! packages, the names the kernel owns, and what the kernel has already imported.
//!
//! The lint is a convenience layer, not the security boundary (the audit hook and the OS are); the
//! policy is tuned so that legitimate spatial-reasoning code never trips it and the usual sandbox
//! escapes do, each with a message that says what to use instead.

use std::collections::{BTreeMap, BTreeSet};

/// A dotted path inside an allowed package that stays off limits, with the reason and the
/// alternative the agent is told about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockedPath {
    /// Dotted path, e.g. `scipy.io` or `typing.get_type_hints`. Everything below it is blocked too.
    pub path: String,
    /// Why it is blocked, phrased for the agent ("it reads and writes files").
    pub why: String,
    /// What to do instead.
    pub instead: String,
}

impl BlockedPath {
    fn new(path: &str, why: &str, instead: &str) -> Self {
        Self {
            path: path.to_owned(),
            why: why.to_owned(),
            instead: instead.to_owned(),
        }
    }
}

/// The lint's configuration. [`Policy::default`] is the agent policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Root packages the agent may import (`numpy` allows `numpy.linalg` unless blocked below).
    pub allowed_modules: BTreeSet<String>,
    /// Paths inside allowed packages that are off limits, for imports and for attribute chains on
    /// imported modules alike (`import scipy.io`, `from scipy import io`, `scipy.io.savemat`).
    pub blocked_paths: Vec<BlockedPath>,
    /// Names the kernel provides; binding them at module level (assignment, `del`, `for`, `with`,
    /// `import … as`, `def`, `class`, `global`) is rejected.
    pub reserved_names: BTreeSet<String>,
    /// Prefixes that, followed by one or more digits, are reserved too (`InputImages_2`).
    pub reserved_numbered_prefixes: BTreeSet<String>,
    /// Names the kernel binds before the first cell, with the dotted path they stand for
    /// (`np` → `numpy`, `show` → `feedback.show`). Attribute chains on them (`np.ctypeslib`)
    /// resolve to paths, and importing the same path under the same name (`import tools`,
    /// `from feedback import show`) is not a rebinding.
    pub preimported: BTreeMap<String, String>,
    /// Names that earlier cells of this session bound. They shadow builtins of the same name, so a
    /// variable called `input` from a previous cell is not mistaken for the builtin `input`.
    pub session_names: BTreeSet<String>,
    /// Attribute names that are modules re-exported by library modules (`matplotlib.os`,
    /// `random._os`). Reaching them on any object is rejected: they are the back door around the
    /// import allow-list.
    pub module_attributes: BTreeSet<String>,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            allowed_modules: set(DEFAULT_ALLOWED_MODULES),
            blocked_paths: default_blocked_paths(),
            reserved_names: set(DEFAULT_RESERVED_NAMES),
            reserved_numbered_prefixes: set(&["InputImages_"]),
            preimported: DEFAULT_PREIMPORTED
                .iter()
                .map(|(name, module)| ((*name).to_owned(), (*module).to_owned()))
                .collect(),
            session_names: BTreeSet::new(),
            module_attributes: set(DEFAULT_MODULE_ATTRIBUTES),
        }
    }
}

impl Policy {
    /// The agent policy (same as `Policy::default()`).
    pub fn agent() -> Self {
        Self::default()
    }

    /// Adds names bound by earlier cells (the kernel's variable tracker knows them).
    #[must_use]
    pub fn with_session_names<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.session_names.extend(names.into_iter().map(Into::into));
        self
    }

    /// Allows one more root package.
    #[must_use]
    pub fn allow_module(mut self, root: impl Into<String>) -> Self {
        self.allowed_modules.insert(root.into());
        self
    }

    /// Reserves one more kernel-provided name.
    #[must_use]
    pub fn reserve_name(mut self, name: impl Into<String>) -> Self {
        self.reserved_names.insert(name.into());
        self
    }

    /// Whether `name` belongs to the kernel.
    pub fn is_reserved(&self, name: &str) -> bool {
        self.reserved_names.contains(name)
            || self.reserved_numbered_prefixes.iter().any(|prefix| {
                name.strip_prefix(prefix.as_str()).is_some_and(|rest| {
                    !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit())
                })
            })
    }

    /// Whether the root package of `module` may be imported.
    pub fn is_allowed_root(&self, module: &str) -> bool {
        let root = module.split('.').next().unwrap_or(module);
        self.allowed_modules.contains(root)
    }

    /// The blocked entry covering `path` (the path itself or one of its parents), if any.
    pub fn blocked(&self, path: &str) -> Option<&BlockedPath> {
        self.blocked_paths.iter().find(|blocked| {
            path.strip_prefix(blocked.path.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
        })
    }

    /// The blocked entry that is exactly `path`, if any (used on attribute chains so that
    /// `np.ctypeslib.load_library` is reported once, at `np.ctypeslib`).
    pub(crate) fn blocked_exactly(&self, path: &str) -> Option<&BlockedPath> {
        self.blocked_paths
            .iter()
            .find(|blocked| blocked.path == path)
    }
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// The import allow-list: the agent's vocabulary (numpy/scipy/matplotlib/PIL), pure-computation
/// standard modules, and the runtime's own modules. Deliberately absent (and why):
/// `operator` (`attrgetter` builds attribute access from strings), `string` (`Formatter` reaches
/// attributes from format fields), `types` (builds code and function objects), and anything that
/// touches files, processes, threads, the network, the interpreter or code loading.
pub const DEFAULT_ALLOWED_MODULES: &[&str] = &[
    // The agent's vocabulary.
    "numpy",
    "scipy",
    "matplotlib",
    "PIL",
    // Pure computation from the standard library.
    "math",
    "cmath",
    "statistics",
    "fractions",
    "decimal",
    "numbers",
    "random",
    "collections",
    "itertools",
    "functools",
    "heapq",
    "bisect",
    "re",
    "json",
    "dataclasses",
    "typing",
    "enum",
    "abc",
    "copy",
    "textwrap",
    "pprint",
    "colorsys",
    "warnings",
    "time",
    "datetime",
    "__future__",
    // The runtime's own modules.
    "tools",
    "feedback",
    "vlm",
];

/// Names the kernel provides (agent-runtime §4.2). `InputImages_<N>` is covered by
/// [`Policy::reserved_numbered_prefixes`].
pub const DEFAULT_RESERVED_NAMES: &[&str] = &[
    "ReturnAnswer",
    "show",
    "tools",
    "InputImages",
    "Metadata",
    "vlm",
    "feedback",
    "RefImages",
];

/// What the kernel binds before the first cell (agent-runtime §4.2 plus the top-level tool names),
/// as `(name, dotted path)`.
pub const DEFAULT_PREIMPORTED: &[(&str, &str)] = &[
    ("np", "numpy"),
    ("numpy", "numpy"),
    ("math", "math"),
    ("collections", "collections"),
    ("itertools", "itertools"),
    ("functools", "functools"),
    ("matplotlib", "matplotlib"),
    ("plt", "matplotlib.pyplot"),
    ("scipy", "scipy"),
    ("ndimage", "scipy.ndimage"),
    ("spatial", "scipy.spatial"),
    ("signal", "scipy.signal"),
    ("optimize", "scipy.optimize"),
    ("tools", "tools"),
    ("feedback", "feedback"),
    ("vlm", "vlm"),
    ("show", "feedback.show"),
    ("Reconstruct", "tools.Reconstruct"),
    ("SAM3", "tools.SAM3"),
    ("Graph", "tools.Graph"),
    ("Time", "tools.Time"),
    ("Mask", "tools.Mask"),
    ("Geometry", "tools.Geometry"),
    ("Draw", "tools.Draw"),
];

/// Modules that library modules re-export as attributes (`matplotlib.os`, `json.codecs`,
/// `random._os`, `warnings.sys`). None is a plausible name for an attribute of the agent's own
/// objects, so they are rejected on any object. Left out on purpose because agents use them as
/// ordinary attribute names: `signal` (scipy.signal), `code`, `types`, `time`, `warnings`.
pub const DEFAULT_MODULE_ATTRIBUTES: &[&str] = &[
    "os",
    "_os",
    "posix",
    "_posix",
    "nt",
    "sys",
    "_sys",
    "builtins",
    "_builtins",
    "subprocess",
    "_subprocess",
    "_posixsubprocess",
    "shutil",
    "_shutil",
    "pathlib",
    "tempfile",
    "glob",
    "io",
    "_io",
    "codecs",
    "socket",
    "_socket",
    "ctypes",
    "_ctypes",
    "importlib",
    "_imp",
    "_bootstrap",
    "_bootstrap_external",
    "pickle",
    "_pickle",
    "marshal",
    "threading",
    "_thread",
    "_threading",
    "multiprocessing",
    "asyncio",
    "concurrent",
    "gc",
    "inspect",
    "runpy",
    "traceback",
    "weakref",
    "_weakref",
    "resource",
    "mmap",
    "pty",
];

/// Corners of allowed packages that do file/process/network I/O or load code. Each entry blocks
/// its subtree.
///
/// Not listed on purpose: numpy/PIL/matplotlib file functions such as `np.load`, `np.save`,
/// `np.memmap`, `Image.open` or `plt.savefig`. The kernel has a read-write scratch directory, so
/// they have legitimate uses; the audit hook and Landlock rules confine them to it. The same calls
/// on objects (`img.save`, `arr.tofile`) cannot be typed statically anyway.
fn default_blocked_paths() -> Vec<BlockedPath> {
    const NO_FILES: &str = "files are not needed here: the inputs are already loaded in \
                            InputImages and Metadata, and variables persist between cells";
    const NUMPY: &str = "use numpy's array functions directly";
    vec![
        // numpy
        BlockedPath::new(
            "numpy.ctypeslib",
            "it loads native libraries and exposes raw memory",
            NUMPY,
        ),
        BlockedPath::new(
            "numpy.f2py",
            "it compiles code and runs shell commands",
            NUMPY,
        ),
        BlockedPath::new(
            "numpy.distutils",
            "it runs compilers and subprocesses",
            NUMPY,
        ),
        BlockedPath::new(
            "numpy.testing",
            "it builds and imports C extensions and starts subprocesses",
            "check values with assert or np.allclose(a, b)",
        ),
        BlockedPath::new(
            "numpy.test",
            "it starts the numpy test suite",
            "check values with assert or np.allclose(a, b)",
        ),
        // scipy
        BlockedPath::new("scipy.io", "it reads and writes files", NO_FILES),
        BlockedPath::new("scipy.weave", "it compiles and runs C++ code", NUMPY),
        BlockedPath::new(
            "scipy.LowLevelCallable",
            "it calls native function pointers",
            "pass a Python function instead",
        ),
        BlockedPath::new(
            "scipy.datasets",
            "it downloads data over the network",
            "work with InputImages and Metadata",
        ),
        BlockedPath::new("scipy.sparse.load_npz", "it reads files", NO_FILES),
        BlockedPath::new("scipy.sparse.save_npz", "it writes files", NO_FILES),
        BlockedPath::new(
            "scipy.test",
            "it starts the scipy test suite",
            "check values with assert or np.allclose(a, b)",
        ),
        // matplotlib
        BlockedPath::new(
            "matplotlib.backends",
            "it opens windows or writes files; the kernel renders figures itself",
            "draw with plt and call plt.show() or show(fig)",
        ),
        BlockedPath::new(
            "matplotlib.use",
            "it switches the renderer away from the kernel's",
            "draw with plt and call plt.show() or show(fig)",
        ),
        BlockedPath::new(
            "matplotlib.pyplot.switch_backend",
            "it switches the renderer away from the kernel's",
            "draw with plt and call plt.show() or show(fig)",
        ),
        BlockedPath::new(
            "matplotlib.animation",
            "its writers start ffmpeg/imagemagick subprocesses",
            "show several frames with show(img1, img2, …)",
        ),
        BlockedPath::new(
            "matplotlib.testing",
            "it starts converter subprocesses",
            "check values with assert",
        ),
        BlockedPath::new(
            "matplotlib.sphinxext",
            "it executes code from documents",
            "write the code in the cell",
        ),
        BlockedPath::new(
            "matplotlib.texmanager",
            "it starts LaTeX subprocesses",
            "use matplotlib's built-in mathtext ('$x^2$') in labels",
        ),
        // PIL
        BlockedPath::new(
            "PIL.ImageShow",
            "it starts an external image viewer",
            "call show(img)",
        ),
        BlockedPath::new(
            "PIL.ImageGrab",
            "it captures the host screen or clipboard",
            "work with InputImages",
        ),
        BlockedPath::new("PIL.ImageTk", "it needs a GUI", "call show(img)"),
        BlockedPath::new("PIL.ImageQt", "it needs a GUI", "call show(img)"),
        BlockedPath::new(
            "PIL.EpsImagePlugin",
            "it runs Ghostscript subprocesses",
            "work with InputImages",
        ),
        // standard library corners
        BlockedPath::new(
            "typing.get_type_hints",
            "it evaluates strings as code",
            "write the types directly",
        ),
        BlockedPath::new(
            "typing.ForwardRef",
            "it evaluates strings as code",
            "write the types directly",
        ),
        BlockedPath::new(
            "typing.evaluate_forward_ref",
            "it evaluates strings as code",
            "write the types directly",
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_input_names_are_reserved() {
        let policy = Policy::default();
        assert!(policy.is_reserved("InputImages"));
        assert!(policy.is_reserved("InputImages_2"));
        assert!(policy.is_reserved("InputImages_10"));
        assert!(!policy.is_reserved("InputImages_"));
        assert!(!policy.is_reserved("InputImages_a"));
        assert!(!policy.is_reserved("input_images"));
    }

    #[test]
    fn blocked_paths_cover_their_subtree_only() {
        let policy = Policy::default();
        assert!(policy.blocked("scipy.io").is_some());
        assert!(policy.blocked("scipy.io.wavfile").is_some());
        assert!(policy.blocked("scipy.iofoo").is_none());
        assert!(policy.blocked("scipy.spatial").is_none());
        assert!(policy.blocked_exactly("scipy.io.wavfile").is_none());
    }

    #[test]
    fn builders_extend_the_policy() {
        let policy = Policy::agent()
            .allow_module("shapely")
            .reserve_name("Scene")
            .with_session_names(["input"]);
        assert!(policy.is_allowed_root("shapely.geometry"));
        assert!(policy.is_reserved("Scene"));
        assert!(policy.session_names.contains("input"));
        assert!(!policy.is_allowed_root("os"));
    }
}
