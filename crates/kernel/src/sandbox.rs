//! The host's half of the session sandbox.
//!
//! Agent code is contained in layers, so that a hole in one is caught by the next:
//! 1. the lint (crate `spatialclaw-lint`), before code reaches the kernel;
//! 2. a PEP 578 audit hook inside the session (`python/spatialclaw_kernel/sandbox.py`);
//! 3. the operating system: resource limits and Landlock, installed by the session itself from
//!    the [`SandboxPolicy`] it receives, and a network namespace, which only the host can set
//!    up because it must exist before the interpreter starts ([`isolate_network`]).
//!
//! Every layer reports whether it is active on this machine ([`SandboxReport`], carried in the
//! session's `ready` message). A missing layer is a loud warning, never a failed session: a
//! laptop without Landlock still runs, and `spatialclaw doctor` says what it lacks and why.

use std::collections::BTreeMap;
use std::ffi::CString;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::session::SessionInputs;

/// Layer names as they appear in [`SandboxReport::layers`] (and in `spatialclaw doctor`).
pub const LAYER_RLIMITS: &str = "rlimits";
pub const LAYER_LANDLOCK_FS: &str = "landlock_fs";
pub const LAYER_LANDLOCK_NET: &str = "landlock_net";
pub const LAYER_NETWORK_NAMESPACE: &str = "network_namespace";
pub const LAYER_AUDIT_HOOK: &str = "audit_hook";

/// The session-side layers, in the order a report lists them.
pub const SESSION_LAYERS: [&str; 5] = [
    LAYER_AUDIT_HOOK,
    LAYER_RLIMITS,
    LAYER_LANDLOCK_FS,
    LAYER_LANDLOCK_NET,
    LAYER_NETWORK_NAMESPACE,
];

/// OS resource limits of one session process (`setrlimit`); `None` leaves a limit as inherited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResourceLimits {
    /// Virtual address space: a 50 GB allocation becomes a MemoryError, not an OOM kill of a
    /// neighbour. Raised by the session to sit above what its libraries already map.
    pub address_space_bytes: Option<u64>,
    /// CPU seconds over the session's life: a last resort behind the host's per-cell timeout.
    pub cpu_seconds: Option<u64>,
    /// Largest file the session may write (scratch is the only writable place).
    pub file_size_bytes: Option<u64>,
    pub open_files: Option<u64>,
    /// Processes of the session's user; not enforced by Linux for root (see the report).
    pub processes: Option<u64>,
}

impl Default for ResourceLimits {
    fn default() -> Self {
        Self {
            address_space_bytes: Some(8 << 30),
            cpu_seconds: Some(600),
            file_size_bytes: Some(1 << 30),
            open_files: Some(256),
            processes: Some(64),
        }
    }
}

/// What a session may do. Defaults to every layer on; switch one off only to diagnose a
/// machine (the report then says "disabled by the session policy").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxPolicy {
    pub limits: ResourceLimits,
    pub rlimits: bool,
    pub landlock: bool,
    pub audit_hook: bool,
    /// Read-only directories beyond the interpreter, the runtime and the input frames (which
    /// are always readable).
    pub extra_read_roots: Vec<PathBuf>,
}

impl Default for SandboxPolicy {
    fn default() -> Self {
        Self {
            limits: ResourceLimits::default(),
            rlimits: true,
            landlock: true,
            audit_hook: true,
            extra_read_roots: Vec::new(),
        }
    }
}

/// How this machine can take the sessions off the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetworkIsolation {
    /// `unshare(CLONE_NEWNET)`: needs CAP_SYS_ADMIN (root, or root in a container).
    NetNamespace,
    /// `unshare(CLONE_NEWUSER | CLONE_NEWNET)`: unprivileged user namespaces.
    UserAndNetNamespace,
    /// Neither works; the reason says why.
    Unavailable(String),
}

impl NetworkIsolation {
    fn describe(&self) -> String {
        match self {
            Self::NetNamespace => "unshare(CLONE_NEWNET)".into(),
            Self::UserAndNetNamespace => "unshare(CLONE_NEWUSER|CLONE_NEWNET)".into(),
            Self::Unavailable(why) => why.clone(),
        }
    }
}

/// The sandbox features of this machine, probed once per process.
#[derive(Debug, Clone)]
pub struct HostSupport {
    /// Landlock ABI version, or why there is none.
    pub landlock_abi: Result<u32, String>,
    pub network: NetworkIsolation,
    /// Inode of the host's own network namespace: a session in another one reports a
    /// different inode, which is how the session verifies the isolation from inside.
    pub host_netns: Option<u64>,
}

/// Probe the machine (cached): Landlock's ABI and whether network namespaces can be created.
pub fn host_support() -> &'static HostSupport {
    static SUPPORT: OnceLock<HostSupport> = OnceLock::new();
    SUPPORT.get_or_init(|| HostSupport {
        landlock_abi: landlock_abi(),
        network: probe_network_isolation(),
        host_netns: std::fs::metadata("/proc/self/ns/net").ok().map(|m| m.ino()),
    })
}

/// `landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION)` returns the ABI.
fn landlock_abi() -> Result<u32, String> {
    const CREATE_RULESET_VERSION: libc::c_uint = 1;
    // SAFETY: the documented version query: no pointers are read or written.
    let abi = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<libc::c_void>(),
            0usize,
            CREATE_RULESET_VERSION,
        )
    };
    if abi >= 1 {
        return Ok(abi as u32);
    }
    let err = std::io::Error::last_os_error();
    Err(match err.raw_os_error() {
        Some(libc::ENOSYS) => "the kernel has no Landlock (ENOSYS; needs Linux 5.13+)".into(),
        Some(libc::EOPNOTSUPP) => {
            "Landlock is built in but disabled at boot (EOPNOTSUPP; add landlock to lsm=)".into()
        }
        _ => format!("landlock_create_ruleset failed: {err}"),
    })
}

/// Everything the pre-exec hook needs, prepared before `fork` (the hook itself may only make
/// async-signal-safe system calls: no allocation, no locks).
struct UserNsMaps {
    setgroups: CString,
    uid_map: CString,
    gid_map: CString,
    uid_line: Vec<u8>,
    gid_line: Vec<u8>,
}

impl UserNsMaps {
    fn new() -> Self {
        // SAFETY: getuid/getgid cannot fail.
        let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
        let path = |p: &str| CString::new(p).unwrap_or_default();
        Self {
            setgroups: path("/proc/self/setgroups"),
            uid_map: path("/proc/self/uid_map"),
            gid_map: path("/proc/self/gid_map"),
            // The same ids inside as outside: files the session creates in scratch belong to
            // the user, and an unmapped id would make every file creation fail (EOVERFLOW).
            uid_line: format!("{uid} {uid} 1\n").into_bytes(),
            gid_line: format!("{gid} {gid} 1\n").into_bytes(),
        }
    }

    /// Write the maps of the calling process (just after `unshare(CLONE_NEWUSER)`).
    /// Async-signal-safe: open/write/close only.
    fn write(&self) -> bool {
        fn put(path: &CString, data: &[u8]) -> bool {
            // SAFETY: plain open/write/close on a NUL-terminated path and a live buffer.
            unsafe {
                let fd = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
                if fd < 0 {
                    return false;
                }
                let n = libc::write(fd, data.as_ptr().cast(), data.len());
                libc::close(fd);
                n == data.len() as isize
            }
        }
        // Unprivileged gid maps require setgroups to be denied first.
        put(&self.setgroups, b"deny")
            && put(&self.uid_map, &self.uid_line)
            && put(&self.gid_map, &self.gid_line)
    }
}

/// Enter a new network namespace in the calling (single-threaded, just forked) process.
/// Async-signal-safe. Returns whether it worked.
fn enter_network_namespace(mode: &NetworkIsolation, maps: &UserNsMaps) -> Result<bool, ()> {
    match mode {
        NetworkIsolation::NetNamespace => {
            // SAFETY: unshare(2) on the calling process.
            Ok(unsafe { libc::unshare(libc::CLONE_NEWNET) } == 0)
        }
        NetworkIsolation::UserAndNetNamespace => {
            // SAFETY: unshare(2) on the calling process.
            if unsafe { libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNET) } != 0 {
                return Ok(false);
            }
            // Inside a new user namespace without maps nothing can create files: that is a
            // broken process, not a missing layer, so it is an error.
            if maps.write() { Ok(true) } else { Err(()) }
        }
        NetworkIsolation::Unavailable(_) => Ok(false),
    }
}

/// Try each way of isolating the network in a throwaway child, so the host itself never
/// changes namespace.
fn probe_network_isolation() -> NetworkIsolation {
    let maps = UserNsMaps::new();
    let mut reasons = Vec::new();
    for mode in [
        NetworkIsolation::NetNamespace,
        NetworkIsolation::UserAndNetNamespace,
    ] {
        match probe_in_child(&mode, &maps) {
            Ok(()) => return mode,
            Err(why) => reasons.push(why),
        }
    }
    NetworkIsolation::Unavailable(format!(
        "no network namespace can be created here ({}); sessions rely on Landlock network rules and the audit hook",
        reasons.join("; ")
    ))
}

fn probe_in_child(mode: &NetworkIsolation, maps: &UserNsMaps) -> Result<(), String> {
    // SAFETY: the child only makes async-signal-safe system calls and leaves with _exit.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(format!("fork failed: {}", std::io::Error::last_os_error()));
    }
    if pid == 0 {
        let code = match enter_network_namespace(mode, maps) {
            Ok(true) => 0,
            Ok(false) => 1,
            Err(()) => 2,
        };
        // SAFETY: leave the forked child without running the parent's destructors.
        unsafe { libc::_exit(code) };
    }
    let mut status = 0;
    // SAFETY: waitpid on the child we just forked.
    let waited = unsafe { libc::waitpid(pid, &mut status, 0) };
    if waited != pid || !libc::WIFEXITED(status) {
        return Err("the probe process did not exit normally".into());
    }
    match (mode, libc::WEXITSTATUS(status)) {
        (_, 0) => Ok(()),
        (NetworkIsolation::NetNamespace, _) => {
            Err("unshare(CLONE_NEWNET) refused: not privileged (CAP_SYS_ADMIN)".into())
        }
        (_, 1) => Err(
            "unshare(CLONE_NEWUSER|CLONE_NEWNET) refused: unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone / user.max_user_namespaces, or a seccomp profile)"
                .into(),
        ),
        _ => Err("a user namespace was created but its id maps could not be written".into()),
    }
}

/// Make `cmd` start in a fresh network namespace (no interfaces but a loopback that is down),
/// when this machine allows it. Called on the zygote's command, so every session forked from
/// it inherits the isolation; sessions still reach the host over the pool's Unix socket,
/// which lives in the filesystem, not in the network namespace.
///
/// Returns how it will isolate. When nothing works the process starts as before and each
/// session reports the layer as missing, with the reason.
pub fn isolate_network(cmd: &mut std::process::Command) -> NetworkIsolation {
    let mode = host_support().network.clone();
    if let NetworkIsolation::Unavailable(why) = &mode {
        warn_once(&format!("sessions keep the host's network: {why}"));
        return mode;
    }
    let maps = UserNsMaps::new();
    let in_child = mode.clone();
    // SAFETY: the closure runs between fork and exec and only makes async-signal-safe system
    // calls (unshare, open, write, close) on data prepared before the fork.
    unsafe {
        cmd.pre_exec(move || match enter_network_namespace(&in_child, &maps) {
            // Ok(false): unshare was refused after all; start without it (the session's own
            // check reports the layer as missing) rather than fail the whole kernel.
            Ok(_) => Ok(()),
            Err(()) => Err(std::io::Error::other(
                "entered a user namespace but could not write its id maps",
            )),
        });
    }
    mode
}

#[derive(Serialize)]
struct WireLayers {
    rlimits: bool,
    landlock: bool,
    audit_hook: bool,
}

/// The policy as the session's `init` message carries it (`sandbox.apply(policy)`): the
/// generic policy plus this session's paths and the network facts to verify.
pub fn session_policy(
    policy: &SandboxPolicy,
    inputs: &SessionInputs,
    scratch: &Path,
    env_roots: &[PathBuf],
    socket: &Path,
) -> Value {
    let support = host_support();
    let mut roots: Vec<PathBuf> = Vec::new();
    let mut push = |p: &Path| {
        let p = p.to_path_buf();
        if !p.as_os_str().is_empty() && !roots.contains(&p) {
            roots.push(p);
        }
    };
    let frames = inputs
        .frames
        .iter()
        .chain(inputs.ref_frames.iter())
        .chain(inputs.videos.iter().flatten().flat_map(|v| v.frames.iter()));
    for f in frames {
        // The frame's directory, not just the file: decoders may look for siblings (sidecar
        // metadata) and directories are fewer Landlock rules than files.
        if let Some(dir) = f.path.parent() {
            push(dir);
        }
    }
    for r in env_roots.iter().chain(policy.extra_read_roots.iter()) {
        push(r);
    }
    let (mode, detail, user_ns) = match &support.network {
        NetworkIsolation::Unavailable(why) => (None, why.clone(), false),
        m => (
            Some(m.describe()),
            format!(
                "the host asked for a {} but the session is not in one (unshare failed at spawn?)",
                m.describe()
            ),
            *m == NetworkIsolation::UserAndNetNamespace,
        ),
    };
    json!({
        "layers": WireLayers {
            rlimits: policy.rlimits,
            landlock: policy.landlock,
            audit_hook: policy.audit_hook,
        },
        "limits": policy.limits,
        "read_roots": roots,
        "scratch": scratch,
        "socket": socket,
        "network": {
            "mode": mode,
            "detail": detail,
            "host_netns": support.host_netns,
            "user_namespace": user_ns,
        },
    })
}

/// One layer's state as the session saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerStatus {
    pub active: bool,
    /// What was applied, or why the layer is missing.
    pub detail: String,
}

/// What the session installed, from its `ready` message.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SandboxReport {
    #[serde(default)]
    pub layers: BTreeMap<String, LayerStatus>,
    #[serde(default)]
    pub landlock_abi: Option<u32>,
    #[serde(default)]
    pub scratch: Option<String>,
    #[serde(default)]
    pub read_roots: Vec<String>,
}

impl SandboxReport {
    /// Parse the `sandbox` field of a `ready` header; warns (once per process) about missing
    /// layers, because a silently weaker sandbox is the failure this report exists to prevent.
    pub fn from_ready(ready: &serde_json::Map<String, Value>) -> Option<Self> {
        let report: Self = serde_json::from_value(ready.get("sandbox")?.clone()).ok()?;
        let missing: Vec<String> = report
            .missing()
            .map(|(name, s)| format!("{name} ({})", s.detail))
            .collect();
        if !missing.is_empty() {
            warn_once(&format!(
                "kernel sandbox layers missing: {}; run `spatialclaw doctor` for details",
                missing.join(", ")
            ));
        }
        Some(report)
    }

    pub fn is_active(&self, layer: &str) -> bool {
        self.layers.get(layer).is_some_and(|s| s.active)
    }

    /// Layers the session reported as not active (absent ones count as missing).
    pub fn missing(&self) -> impl Iterator<Item = (&str, LayerStatus)> + '_ {
        SESSION_LAYERS
            .iter()
            .filter_map(|&name| match self.layers.get(name) {
                Some(s) if s.active => None,
                Some(s) => Some((name, s.clone())),
                None => Some((
                    name,
                    LayerStatus {
                        active: false,
                        detail: "not reported by the session".into(),
                    },
                )),
            })
    }
}

fn warn_once(message: &str) {
    static WARNED: OnceLock<()> = OnceLock::new();
    if WARNED.set(()).is_ok() {
        tracing::warn!(target: "kernel::sandbox", "{message}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_policy_has_every_layer_and_sensible_limits() {
        let p = SandboxPolicy::default();
        assert!(p.rlimits && p.landlock && p.audit_hook);
        assert_eq!(p.limits.address_space_bytes, Some(8 << 30));
        assert_eq!(p.limits.cpu_seconds, Some(600));
        assert_eq!(p.limits.file_size_bytes, Some(1 << 30));
        assert_eq!(p.limits.open_files, Some(256));
        assert_eq!(p.limits.processes, Some(64));
    }

    #[test]
    fn the_wire_policy_names_frame_directories_scratch_and_socket() {
        let inputs = SessionInputs {
            frames: vec![crate::session::InputFrame {
                path: "/data/video/frame_0001.png".into(),
                frame_index: 1,
            }],
            ..Default::default()
        };
        let v = session_policy(
            &SandboxPolicy::default(),
            &inputs,
            Path::new("/tmp/scratch"),
            &[PathBuf::from("/venv")],
            Path::new("/tmp/pool/sessions.sock"),
        );
        assert_eq!(v["scratch"], "/tmp/scratch");
        assert_eq!(v["socket"], "/tmp/pool/sessions.sock");
        assert_eq!(v["read_roots"], json!(["/data/video", "/venv"]));
        assert_eq!(v["limits"]["open_files"], 256);
        assert_eq!(v["layers"]["landlock"], true);
    }

    #[test]
    fn a_report_lists_missing_and_unreported_layers() {
        let ready = json!({"sandbox": {"layers": {
            "audit_hook": {"active": true, "detail": "ok"},
            "landlock_fs": {"active": false, "detail": "no Landlock"},
        }, "landlock_abi": null}});
        let report = SandboxReport::from_ready(ready.as_object().unwrap()).unwrap();
        assert!(report.is_active(LAYER_AUDIT_HOOK));
        let missing: Vec<&str> = report.missing().map(|(n, _)| n).collect();
        assert_eq!(
            missing,
            [
                LAYER_RLIMITS,
                LAYER_LANDLOCK_FS,
                LAYER_LANDLOCK_NET,
                LAYER_NETWORK_NAMESPACE
            ]
        );
    }

    #[test]
    fn probing_the_host_never_fails() {
        // Whatever this machine offers, the probe answers (and the host stays in its own
        // namespace: the probe runs in a child).
        let before = std::fs::metadata("/proc/self/ns/net").map(|m| m.ino()).ok();
        let s = host_support();
        assert_eq!(s.host_netns, before);
        if let Ok(abi) = s.landlock_abi {
            assert!(abi >= 1);
        }
    }
}
