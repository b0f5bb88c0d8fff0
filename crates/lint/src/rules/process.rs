//! Rule `process-control`: threads, processes and signal handlers.
//!
//! The import rule already refuses `threading`, `multiprocessing`, `subprocess` and the standard
//! `signal` module, but these are flagged wherever they are used, whatever the name is bound to:
//! a thread outliving its cell or a signal handler replacing the kernel's SIGINT handling breaks
//! the kernel's timeouts and recovery. `signal` needs care, because the kernel binds that name to
//! `scipy.signal`: only attributes that exist in the standard `signal` module count.

use ruff_python_ast::Expr;
use ruff_text_size::TextSize;

use super::Checker;
use crate::report::Rule;

/// Names whose every attribute is process or thread control.
const CONCURRENCY_MODULES: &[&str] = &[
    "threading",
    "_thread",
    "multiprocessing",
    "concurrent",
    "asyncio",
    "subprocess",
];

/// Attributes of the standard `signal` module (none of them exists in `scipy.signal`).
const STDLIB_SIGNAL_ATTRIBUTES: &[&str] = &[
    "signal",
    "alarm",
    "setitimer",
    "getitimer",
    "pause",
    "pthread_kill",
    "pthread_sigmask",
    "raise_signal",
    "set_wakeup_fd",
    "siginterrupt",
    "sigwait",
    "sigwaitinfo",
    "sigtimedwait",
    "sigpending",
    "strsignal",
    "valid_signals",
    "default_int_handler",
    "getsignal",
    "Signals",
    "Handlers",
    "Sigmasks",
    "SIG_DFL",
    "SIG_IGN",
    "SIG_BLOCK",
    "SIG_UNBLOCK",
    "SIG_SETMASK",
];

const INSTEAD: &str = "cells run one at a time and the kernel enforces the time limit itself; \
                       vectorise with numpy instead of using threads, processes or signals";

pub(super) fn check_attribute(checker: &mut Checker<'_>, value: &Expr, attr: &str, at: TextSize) {
    let Expr::Name(name) = value else {
        return;
    };
    let module = name.id.as_str();
    if CONCURRENCY_MODULES.contains(&module) {
        checker.report(
            at,
            Rule::ProcessControl,
            format!("'{module}.{attr}' is not available in this kernel: {INSTEAD}."),
        );
    } else if module == "signal"
        && (STDLIB_SIGNAL_ATTRIBUTES.contains(&attr)
            || attr.starts_with("SIG")
            || attr.starts_with("ITIMER_"))
    {
        checker.report(
            at,
            Rule::ProcessControl,
            format!(
                "'signal.{attr}' is the standard signal module, which is not available in this \
                 kernel: {INSTEAD}. (scipy.signal, bound as 'signal', is fine.)"
            ),
        );
    }
}
