//! Rule `dynamic-code`: builtins that run, load or inspect code, or reach files and stdin.
//!
//! Only the *builtin* names count: `re.compile(...)`, `model.eval()` and `np.load(...)` are
//! attribute calls on other objects and never match, and a string such as "door open (closed)" is
//! not code at all. A builtin is reported wherever it is referenced, not only where it is called,
//! because `f = open; f('/etc/passwd')` is the same thing as `open('/etc/passwd')`.

/// Builtins that are rejected when called or referenced, with what to do instead.
const FORBIDDEN_BUILTINS: &[(&str, &str)] = &[
    (
        "exec",
        "write the code directly in the cell; define functions with def if you need to reuse it",
    ),
    (
        "eval",
        "compute the value directly; to parse text use float(s), int(s) or json.loads(s)",
    ),
    (
        "compile",
        "write the code directly in the cell (re.compile for regular expressions is fine)",
    ),
    (
        "__import__",
        "use an import statement for the allowed modules (numpy, scipy, math, …)",
    ),
    (
        "breakpoint",
        "there is no debugger; print() the values you want to inspect",
    ),
    (
        "input",
        "the kernel has no stdin; the question, InputImages and Metadata are already available",
    ),
    (
        "open",
        "files are not needed here: the inputs are already loaded in InputImages and \
         Metadata, and variables persist between cells",
    ),
    (
        "globals",
        "refer to your variables by name (to check whether one exists from an earlier cell, use \
         try: x / except NameError:), and keep values you look up by key in a dict",
    ),
    (
        "locals",
        "refer to your variables by name (to check whether one exists from an earlier cell, use \
         try: x / except NameError:), and keep values you look up by key in a dict",
    ),
    (
        "vars",
        "read attributes by name, or use dataclasses.asdict(obj) for dataclasses",
    ),
    (
        "memoryview",
        "work on numpy arrays (np.frombuffer, slicing) instead of raw buffers",
    ),
];

/// Builtins that are only a problem when called.
const FORBIDDEN_CALLS: &[(&str, &str)] = &[
    (
        "exit",
        "to finish, call ReturnAnswer(answer); otherwise just let the cell end",
    ),
    (
        "quit",
        "to finish, call ReturnAnswer(answer); otherwise just let the cell end",
    ),
];

/// `getattr` and friends: judged by their arguments in `computed-attribute`.
pub(crate) const ATTRIBUTE_BUILTINS: &[&str] = &["getattr", "setattr", "delattr"];

/// What to do instead of using builtin `name`, if it is forbidden when referenced at all.
pub(crate) fn forbidden_builtin(name: &str) -> Option<&'static str> {
    FORBIDDEN_BUILTINS
        .iter()
        .find(|(builtin, _)| *builtin == name)
        .map(|(_, instead)| *instead)
}

/// What to do instead of calling builtin `name`, if it is forbidden when called.
pub(crate) fn forbidden_call(name: &str) -> Option<&'static str> {
    FORBIDDEN_CALLS
        .iter()
        .find(|(builtin, _)| *builtin == name)
        .map(|(_, instead)| *instead)
}

/// Whether `name` is a builtin this module has an opinion on (so its resolution is worth doing).
pub(crate) fn is_watched(name: &str) -> bool {
    forbidden_builtin(name).is_some()
        || forbidden_call(name).is_some()
        || ATTRIBUTE_BUILTINS.contains(&name)
        || name == "help"
}

pub(crate) fn call_message(name: &str, instead: &str) -> String {
    format!("'{name}()' is not available in this kernel; {instead}.")
}

pub(crate) fn alias_message(name: &str, instead: &str) -> String {
    format!(
        "the builtin '{name}' cannot be used as a value (aliasing it, e.g. f = {name}, is still \
         '{name}'); {instead}."
    )
}

pub(crate) const HELP_MESSAGE: &str = "'help()' with a string argument imports modules by name; \
     pass the object itself, e.g. help(tools.SAM3), or print(obj.__doc__).";

pub(crate) const PICKLE_MESSAGE: &str = "'allow_pickle=True' lets a file run arbitrary code when \
     it is loaded; numeric arrays load without it, so drop the argument.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_do_not_overlap() {
        for (name, _) in FORBIDDEN_CALLS {
            assert!(forbidden_builtin(name).is_none());
        }
        assert!(is_watched("open") && is_watched("exit") && is_watched("getattr"));
        assert!(!is_watched("print") && !is_watched("len"));
    }
}
