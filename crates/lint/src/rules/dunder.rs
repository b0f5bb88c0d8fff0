//! Rule `dunder-access`: the attributes every known Python sandbox escape walks through.
//!
//! Class-hierarchy walks (`().__class__.__bases__[0].__subclasses__()`), function internals
//! (`f.__globals__`), frames reached from generators and tracebacks (`g.gi_frame.f_back.f_globals`)
//! and `str.format` fields (`"{0.__class__}".format(x)`) all need one of these names. Ordinary
//! dunders (`__init__`, `__name__`, `__len__`, `__version__`, …) stay allowed.

/// Dunder attributes that lead out of the sandbox, with what to write instead.
const BLOCKED_DUNDERS: &[(&str, &str)] = &[
    ("__class__", "use type(x) or isinstance(x, SomeType)"),
    (
        "__bases__",
        "use isinstance(x, SomeType) or issubclass(A, B)",
    ),
    (
        "__base__",
        "use isinstance(x, SomeType) or issubclass(A, B)",
    ),
    ("__mro__", "use isinstance(x, SomeType) or issubclass(A, B)"),
    (
        "__subclasses__",
        "use isinstance(x, SomeType) or issubclass(A, B)",
    ),
    (
        "__dict__",
        "use dataclasses.asdict(obj) or read the attributes by name",
    ),
    ("__globals__", "call the function instead of inspecting it"),
    (
        "__builtins__",
        "call the builtins directly (len, min, sorted, …)",
    ),
    ("__code__", "call the function instead of inspecting it"),
    ("__closure__", "call the function instead of inspecting it"),
    ("__defaults__", "pass the arguments explicitly"),
    ("__kwdefaults__", "pass the arguments explicitly"),
    ("__func__", "call the method directly"),
    ("__self__", "keep a reference to the object you need"),
    ("__objclass__", "use type(x)"),
    ("__getattribute__", "read the attribute directly (obj.name)"),
    (
        "__reduce__",
        "there is nothing to serialise: variables persist between cells",
    ),
    (
        "__reduce_ex__",
        "there is nothing to serialise: variables persist between cells",
    ),
    (
        "__import__",
        "import the allowed modules with an import statement",
    ),
    (
        "__loader__",
        "import the allowed modules with an import statement",
    ),
    (
        "__spec__",
        "import the allowed modules with an import statement",
    ),
    (
        "__traceback__",
        "print the exception message: print(repr(e))",
    ),
];

/// Frame, traceback, generator, coroutine and code-object attributes: the other road to
/// `f_globals`. Nobody names their own attributes like this.
const FRAME_ATTRIBUTES: &[&str] = &[
    "f_globals",
    "f_locals",
    "f_builtins",
    "f_back",
    "f_code",
    "f_trace",
    "f_generator",
    "tb_frame",
    "tb_next",
    "gi_frame",
    "gi_code",
    "gi_yieldfrom",
    "cr_frame",
    "cr_code",
    "cr_await",
    "cr_origin",
    "ag_frame",
    "ag_code",
    "ag_await",
    "co_code",
    "co_consts",
    "co_names",
    "co_varnames",
    "co_freevars",
    "co_cellvars",
    "co_linetable",
    "co_lnotab",
    "co_exceptiontable",
    "cell_contents",
];

/// Names that must not appear even as bare names: they hand out the builtins module or the
/// import machinery without any attribute access.
const BLOCKED_NAMES: &[&str] = &["__builtins__", "__loader__", "__spec__", "__build_class__"];

/// Attributes that may follow `__class__` because they only yield a string
/// (`x.__class__.__name__` is a common way to print a type).
const HARMLESS_AFTER_CLASS: &[&str] = &["__name__", "__qualname__", "__module__", "__doc__"];

/// What to write instead of reaching `attr`, if `attr` is one of the escape attributes.
pub(crate) fn blocked_attribute(attr: &str) -> Option<&'static str> {
    if let Some((_, instead)) = BLOCKED_DUNDERS.iter().find(|(name, _)| *name == attr) {
        return Some(instead);
    }
    FRAME_ATTRIBUTES.contains(&attr).then_some(
        "frames, tracebacks and code objects are not inspectable here; print the values you need",
    )
}

/// Whether a bare name is one of the blocked ones.
pub(crate) fn is_blocked_name(name: &str) -> bool {
    BLOCKED_NAMES.contains(&name)
}

/// Whether `attr` read right after `.__class__` makes the pair harmless.
pub(crate) fn is_harmless_after_class(attr: &str) -> bool {
    HARMLESS_AFTER_CLASS.contains(&attr)
}

/// The message for an escape attribute reached as `.attr`.
pub(crate) fn attribute_message(attr: &str, instead: &str) -> String {
    format!("'.{attr}' is not allowed in this kernel (it is a way out of the sandbox); {instead}.")
}

/// The first escape attribute that a `str.format`/`format_map` replacement field in `text`
/// reaches (`"{0.__class__}"`, `"{x.f_globals[k]}"`, nested `"{0:{1.__mro__}}"`).
///
/// Only text inside braces counts, so prose that merely mentions `obj.__class__` is not flagged.
/// Escaped braces (`{{0.__class__}}`) count too: formatting twice un-escapes them. Any string
/// literal is checked, not just receivers of `.format`: the template can be built in one place and
/// formatted in another.
pub(crate) fn format_field_escape(text: &str) -> Option<&'static str> {
    if !text.contains('{') {
        return None;
    }
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' => depth += 1,
            b'}' => depth = depth.saturating_sub(1),
            b'.' if depth > 0 => {
                let rest = &text[i + 1..];
                let end = rest
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                let name = &rest[..end];
                if blocked_attribute(name).is_some() {
                    return all_names().find(|known| *known == name);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Every blocked attribute name, as `'static` strings.
fn all_names() -> impl Iterator<Item = &'static str> {
    BLOCKED_DUNDERS
        .iter()
        .map(|(name, _)| *name)
        .chain(FRAME_ATTRIBUTES.iter().copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_attributes_are_blocked_and_ordinary_dunders_are_not() {
        for attr in [
            "__class__",
            "__subclasses__",
            "__globals__",
            "gi_frame",
            "f_back",
            "co_code",
        ] {
            assert!(blocked_attribute(attr).is_some(), "{attr}");
        }
        for attr in [
            "__init__",
            "__name__",
            "__len__",
            "__version__",
            "__doc__",
            "shape",
            "f",
        ] {
            assert!(blocked_attribute(attr).is_none(), "{attr}");
        }
    }

    #[test]
    fn format_fields_are_scanned_inside_braces_only() {
        assert_eq!(format_field_escape("{0.__class__}"), Some("__class__"));
        assert_eq!(
            format_field_escape("{0.__globals__[os].environ}"),
            Some("__globals__")
        );
        assert_eq!(format_field_escape("{0:{1.__mro__}}"), Some("__mro__"));
        assert_eq!(format_field_escape("{x.gi_frame}"), Some("gi_frame"));
        assert_eq!(format_field_escape("{{0.__class__}}"), Some("__class__"));
        assert_eq!(format_field_escape("use obj.__class__ here"), None);
        assert_eq!(format_field_escape("{0.shape} {1:.2f} {p.x}"), None);
        assert_eq!(format_field_escape("door open (closed) {"), None);
        assert_eq!(format_field_escape("é{0.__class__}"), Some("__class__"));
    }
}
