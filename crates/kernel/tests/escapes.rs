//! Every escape technique of peers.md §2, each as its own test, run against a real session with
//! the lint deliberately bypassed (`KernelSession::exec` runs code as it is): the runtime and
//! OS layers alone must hold.
//!
//! "Harmless" is checked from outside, never by trusting the session's own error message: a
//! canary file outside scratch keeps its content and mtime and gains no neighbours, a TCP
//! listener on 127.0.0.1 gets no connection, no child process or child marker appears, the
//! host's secret never shows up in output, and the session still runs a follow-up cell.
//!
//! The audit hook must hold everywhere. Landlock and the network namespace are asserted only
//! where this machine offers them (`host_support()`), so the suite passes on both kinds.

use std::io::ErrorKind;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde_json::json;
use spatialclaw_kernel::sandbox::{
    LAYER_AUDIT_HOOK, LAYER_LANDLOCK_FS, LAYER_LANDLOCK_NET, LAYER_NETWORK_NAMESPACE, LAYER_RLIMITS,
};
use spatialclaw_kernel::{
    ExecOutcome, InputFrame, Interruption, KernelSession, NetworkIsolation, NoHost, SandboxPolicy,
    SessionInputs, SessionOptions, ensure_python_env, host_support,
};

const LIMIT: Duration = Duration::from_secs(30);
const SECRET_NAME: &str = "SPATIALCLAW_ESCAPE_TEST_SECRET";
const SECRET_VALUE: &str = "sk-escape-test-4f1c9e";

/// One escape attempt's world: a session, a canary outside its scratch, a listener.
struct Arena {
    _dir: tempfile::TempDir,
    canary_dir: tempfile::TempDir,
    canary: PathBuf,
    canary_text: String,
    canary_mtime: SystemTime,
    listener: TcpListener,
    session: KernelSession,
}

fn write_frame(dir: &Path) -> PathBuf {
    let path = dir.join("frame.png");
    let mut bytes = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut bytes, 4, 3);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.write_header()
            .unwrap()
            .write_image_data(&[10, 200, 30].repeat(12))
            .unwrap();
    }
    std::fs::write(&path, bytes).unwrap();
    path
}

impl Arena {
    async fn new() -> Self {
        Self::with_policy(SandboxPolicy::default()).await
    }

    async fn with_policy(sandbox: SandboxPolicy) -> Self {
        // SAFETY: set before any session is spawned; the session must never see it.
        unsafe { std::env::set_var(SECRET_NAME, SECRET_VALUE) };
        let dir = tempfile::tempdir().unwrap();
        let frame = write_frame(dir.path());
        let canary_dir = tempfile::Builder::new()
            .prefix("spatialclaw-canary-")
            .tempdir()
            .unwrap();
        let canary = canary_dir.path().join("canary.txt");
        let canary_text = format!("canary {SECRET_VALUE}");
        std::fs::write(&canary, &canary_text).unwrap();
        let canary_mtime = std::fs::metadata(&canary).unwrap().modified().unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let env = ensure_python_env(|m| eprintln!("{m}")).expect("python environment");
        let options = SessionOptions {
            interrupt_grace: Duration::from_millis(800),
            sandbox,
            ..Default::default()
        };
        let inputs = SessionInputs {
            frames: vec![InputFrame {
                path: frame,
                frame_index: 0,
            }],
            metadata: json!({"is_video": false, "fps": null, "total_frames": 1, "num_images": 1}),
            ..Default::default()
        };
        let session = KernelSession::start(&env, inputs, options)
            .await
            .expect("session starts");
        Self {
            _dir: dir,
            canary_dir,
            canary,
            canary_text,
            canary_mtime,
            listener,
            session,
        }
    }

    /// Fill in CANARY, CANARY_DIR, PORT, SCRATCH and HOST_PID in a cell.
    fn code(&self, template: &str) -> String {
        template
            .replace("CANARY_DIR", &self.canary_dir.path().to_string_lossy())
            .replace("CANARY", &self.canary.to_string_lossy())
            .replace(
                "PORT",
                &self.listener.local_addr().unwrap().port().to_string(),
            )
            .replace("SCRATCH", &self.session.scratch().to_string_lossy())
            .replace("HOST_PID", &std::process::id().to_string())
    }

    async fn run(&mut self, template: &str) -> ExecOutcome {
        let code = self.code(template);
        self.session
            .exec(&code, LIMIT, &NoHost)
            .await
            .expect("exec returns")
    }

    /// The attempt failed with a PermissionError (or another error that names the refusal).
    async fn refused(&mut self, template: &str) -> ExecOutcome {
        let out = self.run(template).await;
        let err = out.error.as_ref().unwrap_or_else(|| {
            panic!(
                "escape ran without error: {template}\nstdout: {}",
                out.stdout
            )
        });
        assert!(
            matches!(
                err.kind.as_str(),
                "PermissionError" | "OSError" | "ImportError"
            ),
            "unexpected error {}: {}",
            err.kind,
            err.message
        );
        out
    }

    /// Everything outside the session is as it was, and the session still works.
    async fn assert_harmless(&mut self, out: &ExecOutcome) {
        // The canary: unread, unwritten, no files beside it.
        assert_eq!(
            std::fs::read_to_string(&self.canary).unwrap(),
            self.canary_text
        );
        assert_eq!(
            std::fs::metadata(&self.canary).unwrap().modified().unwrap(),
            self.canary_mtime,
            "the canary was touched"
        );
        let beside: Vec<_> = std::fs::read_dir(self.canary_dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(
            beside.len(),
            1,
            "files appeared outside scratch: {beside:?}"
        );
        // Nothing the cell printed carries the canary or the host's secret.
        for text in [&out.stdout, &out.stderr] {
            assert!(!text.contains(SECRET_VALUE), "secret leaked: {text}");
        }
        if let Some(e) = &out.error {
            assert!(
                !e.message.contains(SECRET_VALUE),
                "secret leaked: {}",
                e.message
            );
        }
        // The listener was never reached.
        match self.listener.accept() {
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Ok((_, peer)) => panic!("the listener got a connection from {peer}"),
            Err(e) => panic!("listener: {e}"),
        }
        // No process spawned by the session (its own snapshot aside), and no marker a child
        // would have left in scratch.
        // The snapshot of the last cell is forked just after its reply and the one before is
        // killed then: wait for that to settle before counting children.
        self.session.wait_for_snapshot(Duration::from_secs(5)).await;
        let mut children = Vec::new();
        for _ in 0..40 {
            children = children_of(&self.session.process_ids());
            if children.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(
            children.is_empty(),
            "child processes appeared: {children:?}"
        );
        let marker = self.session.scratch().join("child_ran");
        assert!(!marker.exists(), "a child process ran");
        // The session keeps working.
        let after = self
            .session
            .exec("print(40 + 2)", LIMIT, &NoHost)
            .await
            .unwrap();
        assert_eq!(after.stdout.trim(), "42", "{:?}", after.error);
    }
}

/// Pids whose parent is one of `parents`, excluding `parents` themselves (a session's snapshot
/// is its child).
fn children_of(parents: &[u32]) -> Vec<u32> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return found;
    };
    for e in entries.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // "pid (comm) state ppid ...": comm may hold spaces, so split after the last ')'.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        if let Some(ppid) = ppid
            && parents.contains(&ppid)
            && !parents.contains(&pid)
        {
            found.push(pid);
        }
    }
    found
}

fn assert_layers(session: &KernelSession) {
    let report = session
        .ready()
        .sandbox
        .clone()
        .expect("the session reports its sandbox");
    assert!(
        report.is_active(LAYER_AUDIT_HOOK),
        "the audit hook must always be active: {report:?}"
    );
    assert!(report.is_active(LAYER_RLIMITS), "{report:?}");
    let support = host_support();
    if support.landlock_abi.is_ok() {
        assert!(report.is_active(LAYER_LANDLOCK_FS), "{report:?}");
    }
    if support.landlock_abi.as_ref().is_ok_and(|abi| *abi >= 4) {
        assert!(report.is_active(LAYER_LANDLOCK_NET), "{report:?}");
    }
    if !matches!(support.network, NetworkIsolation::Unavailable(_)) {
        assert!(report.is_active(LAYER_NETWORK_NAMESPACE), "{report:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_available_layer_is_reported_active() {
    let a = Arena::new().await;
    assert_layers(&a.session);
}

// -- language-level escapes -------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aliased_open_cannot_read_outside() {
    let mut a = Arena::new().await;
    let out = a
        .refused("f = open\nprint(f('CANARY').read())\nprint(f('/etc/passwd').read())")
        .await;
    a.assert_harmless(&out).await;
    let etc = a.refused("f = open\nprint(f('/etc/passwd').read())").await;
    assert!(!etc.stdout.contains("root:"), "{}", etc.stdout);
    a.assert_harmless(&etc).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_fetched_by_computed_name_cannot_read_or_write() {
    let mut a = Arena::new().await;
    let fetch = "b = __builtins__\no = b['op' + 'en'] if isinstance(b, dict) else getattr(b, 'op' + 'en')\n";
    let out = a
        .refused(&format!("{fetch}print(o('CANARY').read())"))
        .await;
    a.assert_harmless(&out).await;
    let out = a
        .refused(&format!("{fetch}o('CANARY', 'w').write('x')"))
        .await;
    a.assert_harmless(&out).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dunder_import_os_system_runs_nothing() {
    let mut a = Arena::new().await;
    let out = a
        .refused("__import__('os').system('echo x > SCRATCH/child_ran; cat CANARY')")
        .await;
    a.assert_harmless(&out).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn importlib_subprocess_runs_nothing() {
    let mut a = Arena::new().await;
    let out = a
        .refused(
            "import importlib\nsp = importlib.import_module('subprocess')\n\
             print(sp.run(['/bin/sh', '-c', 'echo x > SCRATCH/child_ran; cat CANARY'], capture_output=True))",
        )
        .await;
    a.assert_harmless(&out).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn builtins_module_open_cannot_write_outside() {
    let mut a = Arena::new().await;
    let out = a
        .refused("import builtins\nbuiltins.open('CANARY', 'w').write('pwned')")
        .await;
    a.assert_harmless(&out).await;
    let out = a
        .refused("import builtins\nbuiltins.open('CANARY_DIR/new.txt', 'x').write('pwned')")
        .await;
    a.assert_harmless(&out).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn class_hierarchy_walk_reaches_nothing_usable() {
    let mut a = Arena::new().await;
    // The classic: object.__subclasses__() → os._wrap_close → its module globals → system.
    let out = a
        .refused(
            "for c in ().__class__.__base__.__subclasses__():\n    \
             if c.__name__ == '_wrap_close':\n        \
             c.__init__.__globals__['system']('echo x > SCRATCH/child_ran')",
        )
        .await;
    a.assert_harmless(&out).await;
    // And straight to subprocess.Popen.
    let out = a
        .refused(
            "P = [c for c in ().__class__.__base__.__subclasses__() if c.__name__ == 'Popen'][0]\n\
             P(['/bin/sh', '-c', 'echo x > SCRATCH/child_ran']).wait()",
        )
        .await;
    a.assert_harmless(&out).await;
    // Or to a module's open through a function's globals.
    let out = a
        .refused(
            "import tempfile\ng = tempfile.mkstemp.__globals__\nprint(g['_os'].open('CANARY', 0))",
        )
        .await;
    a.assert_harmless(&out).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crafted_pickle_through_np_load_runs_nothing() {
    let mut a = Arena::new().await;
    // A pickle in scratch whose loading would call os.system.
    let made = a
        .run(
            "payload = b\"cos\\nsystem\\n(S'echo x > SCRATCH/child_ran'\\ntR.\"\n\
             open('evil.pkl', 'wb').write(payload)",
        )
        .await;
    assert!(
        made.succeeded(),
        "writing in scratch works: {:?}",
        made.error
    );
    // numpy wraps the hook's refusal in its own UnpicklingError.
    let out = a.run("np.load('evil.pkl', allow_pickle=True)").await;
    assert!(out.error.is_some(), "the pickle loaded");
    a.assert_harmless(&out).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamic_code_and_interpreter_internals_are_refused() {
    let mut a = Arena::new().await;
    for cell in [
        "exec(\"open('CANARY').read()\")",
        "eval(\"open('CANARY').read()\")",
        "compile('1', 'x', 'eval')",
        "import sys\nsys._getframe().f_back",
        "try:\n    1/0\nexcept Exception as e:\n    e.__traceback__.tb_frame.f_back",
        "(lambda: 0).__code__",
        "import gc\ngc.get_objects()",
        "import gc\ngc.get_referrers(np)",
        "import sys\nsys.settrace(lambda *a: None)",
        "import os\nos.environ['LD_PRELOAD'] = '/tmp/x.so'",
    ] {
        let out = a.refused(cell).await;
        a.assert_harmless(&out).await;
    }
    // A second audit hook is silently not installed (CPython swallows the refusal), and the
    // first keeps working.
    let out = a
        .run("import sys\nsys.addaudithook(lambda *a: None)\nopen('CANARY').read()")
        .await;
    assert_eq!(
        out.error.as_ref().map(|e| e.kind.as_str()),
        Some("PermissionError")
    );
    a.assert_harmless(&out).await;
}

// -- library-level side channels -------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numpy_file_io_outside_scratch_is_refused() {
    let mut a = Arena::new().await;
    for cell in [
        "np.save('CANARY_DIR/x.npy', np.ones(3))",
        "np.ones(3).tofile('CANARY_DIR/x.bin')",
        "np.savetxt('CANARY_DIR/x.txt', np.ones(3))",
        "print(np.fromfile('CANARY', dtype=np.uint8))",
        "print(np.loadtxt('CANARY', dtype=str))",
        "print(np.genfromtxt('/etc/hostname', dtype=str))",
    ] {
        let out = a.refused(cell).await;
        a.assert_harmless(&out).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pil_save_outside_scratch_is_refused() {
    let mut a = Arena::new().await;
    let out = a
        .refused(
            "from PIL import Image\nImage.fromarray(np.zeros((4, 4, 3), np.uint8)).save('CANARY_DIR/x.png')",
        )
        .await;
    a.assert_harmless(&out).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn savefig_outside_scratch_is_refused() {
    let mut a = Arena::new().await;
    let out = a
        .refused("fig, ax = plt.subplots()\nax.plot([1, 2])\nplt.savefig('CANARY_DIR/plot.png')")
        .await;
    a.assert_harmless(&out).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctypes_cannot_load_or_call() {
    let mut a = Arena::new().await;
    let out = a
        .refused("import ctypes\nctypes.CDLL(None).system(b'echo x > SCRATCH/child_ran')")
        .await;
    a.assert_harmless(&out).await;
    let out = a
        .refused("import ctypes\nprint(ctypes.string_at(id(1), 8))")
        .await;
    a.assert_harmless(&out).await;
    // ctypes audits looking a C function up, not calling one: the functions the sandbox's
    // set-up resolved on the runtime's C library handle (syscall, prctl) must not be left
    // there for code that reaches the handle.
    for function in ["syscall(39)", "prctl(38, 0, 0, 0, 0)"] {
        let out = a
            .refused(&format!(
                "import sys\nsys.modules['spatialclaw_kernel.sandbox']._LIBC[0].{function}"
            ))
            .await;
        a.assert_harmless(&out).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn os_fork_is_refused() {
    let mut a = Arena::new().await;
    let out = a
        .refused(
            "import os\npid = os.fork()\nif pid == 0:\n    \
             open('SCRATCH/child_ran', 'w').write('x')\n    os._exit(0)",
        )
        .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    a.assert_harmless(&out).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_cannot_reach_a_local_listener() {
    let mut a = Arena::new().await;
    let out = a
        .refused("import socket\nsocket.create_connection(('127.0.0.1', PORT), timeout=2)")
        .await;
    a.assert_harmless(&out).await;
    let out = a
        .refused(
            "import urllib.request\nurllib.request.urlopen('http://127.0.0.1:PORT/', timeout=2)",
        )
        .await;
    a.assert_harmless(&out).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ignoring_sigint_does_not_stop_the_host_regaining_control() {
    let mut a = Arena::new().await;
    let kept = a.run("kept = 'still here'").await;
    assert!(kept.succeeded());
    // Either the hook refuses the change (and the interrupt works as usual), or a cell that
    // managed to ignore SIGINT is killed after the grace period and resumed from a snapshot.
    let _ = a
        .run("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)")
        .await;
    let started = std::time::Instant::now();
    let out = a
        .session
        .exec("while True:\n    pass", Duration::from_millis(500), &NoHost)
        .await
        .unwrap();
    assert!(
        matches!(
            out.interruption,
            Some(Interruption::TimedOut { .. } | Interruption::KilledAfterTimeout { .. })
        ),
        "{:?}",
        out.interruption
    );
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "the host took {:?} to regain control",
        started.elapsed()
    );
    let after = a.run("print(kept)").await;
    assert_eq!(after.stdout.trim(), "still here", "{:?}", after.error);
    a.assert_harmless(&out).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proc_environ_shows_no_host_secret() {
    let mut a = Arena::new().await;
    // The session's own environment is clean; reading it is refused anyway.
    let own = a
        .run("print(open('/proc/self/environ', 'rb').read())")
        .await;
    assert!(!own.stdout.contains(SECRET_VALUE));
    a.assert_harmless(&own).await;
    let env = a.run("import os\nprint(dict(os.environ))").await;
    assert!(!env.stdout.contains(SECRET_NAME), "{}", env.stdout);
    a.assert_harmless(&env).await;
    // The host's environment (this test process) is out of reach.
    let host = a
        .refused("print(open('/proc/HOST_PID/environ', 'rb').read())")
        .await;
    a.assert_harmless(&host).await;
    let host = a
        .refused("import os\nprint(os.listdir('/proc/HOST_PID/'))")
        .await;
    a.assert_harmless(&host).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_shm_is_not_writable() {
    let mut a = Arena::new().await;
    let name = format!("/dev/shm/spatialclaw-escape-{}", std::process::id());
    let out = a.refused(&format!("open('{name}', 'w').write('x')")).await;
    assert!(!Path::new(&name).exists());
    a.assert_harmless(&out).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fork_bomb_is_refused() {
    let mut a = Arena::new().await;
    let out = a.refused("import os\nwhile True:\n    os.fork()").await;
    a.assert_harmless(&out).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_host_is_refused() {
    let mut a = Arena::new().await;
    let out = a.refused("import os\nos.kill(HOST_PID, 9)").await;
    a.assert_harmless(&out).await;
}

// -- resource faults ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_50_gb_allocation_is_a_memory_error_and_the_session_survives() {
    let mut a = Arena::new().await;
    assert!(a.run("before = 7").await.succeeded());
    let out = a.run("x = np.ones(50 * 10**9, dtype=np.uint8)").await;
    assert_eq!(
        out.error.as_ref().map(|e| e.kind.as_str()),
        Some("MemoryError"),
        "{:?}",
        out.error
    );
    assert!(out.interruption.is_none() && !out.state_lost);
    let after = a.run("print(before)").await;
    assert_eq!(after.stdout.trim(), "7");
    a.assert_harmless(&out).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_1_gb_stdout_flood_stays_bounded() {
    let mut a = Arena::new().await;
    assert!(a.run("before = 7").await.succeeded());
    let out = a
        .run("import sys\nchunk = 'x' * (1 << 20)\nfor _ in range(1024):\n    sys.stdout.write(chunk)")
        .await;
    assert!(out.succeeded(), "{:?}", out.error);
    assert!(
        out.stdout.len() < 200_000,
        "{} bytes reached the host",
        out.stdout.len()
    );
    let after = a.run("print(before)").await;
    assert_eq!(after.stdout.trim(), "7");
    a.assert_harmless(&out).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_file_in_scratch_is_capped() {
    let mut a = Arena::new().await;
    // RLIMIT_FSIZE: writing past the cap fails with EFBIG (Python ignores SIGXFSZ).
    let mut policy = SandboxPolicy::default();
    policy.limits.file_size_bytes = Some(1 << 20);
    let mut small = Arena::with_policy(policy).await;
    let out = small
        .run("with open('big.bin', 'wb') as f:\n    f.write(b'x' * (2 << 20))")
        .await;
    assert!(out.error.is_some(), "a 2 MB write passed a 1 MB cap");
    small.assert_harmless(&out).await;
    let fine = a.run("open('ok.bin', 'wb').write(b'x' * 1000)").await;
    assert!(fine.succeeded(), "{:?}", fine.error);
}

// -- the OS layers alone ------------------------------------------------------------------------

/// With the audit hook switched off, Landlock and the network namespace (where this machine
/// has them) still stop reads, writes, execs and connections.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_os_layers_hold_without_the_audit_hook() {
    let support = host_support();
    let landlock = support.landlock_abi.is_ok();
    let net_isolated = !matches!(support.network, NetworkIsolation::Unavailable(_))
        || support.landlock_abi.as_ref().is_ok_and(|abi| *abi >= 4);
    let policy = SandboxPolicy {
        audit_hook: false,
        ..Default::default()
    };
    let mut a = Arena::with_policy(policy).await;
    if landlock {
        let out = a.refused("print(open('CANARY').read())").await;
        a.assert_harmless(&out).await;
        let out = a.refused("open('CANARY', 'w').write('x')").await;
        a.assert_harmless(&out).await;
        let out = a
            .refused("import subprocess\nsubprocess.run(['/bin/sh', '-c', 'echo x > SCRATCH/child_ran'])")
            .await;
        a.assert_harmless(&out).await;
    }
    if net_isolated {
        let out = a
            .refused("import socket\nsocket.create_connection(('127.0.0.1', PORT), timeout=2)")
            .await;
        a.assert_harmless(&out).await;
    }
}

// -- legitimate use keeps working ---------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn library_code_the_agent_needs_keeps_working() {
    let mut a = Arena::new().await;
    let cells = [
        // Lazy submodule imports of numpy/scipy.
        "import scipy.stats, scipy.interpolate, scipy.fft\nprint(round(float(scipy.stats.norm.cdf(0)), 2))",
        "from scipy.spatial import KDTree, ConvexHull\nprint(KDTree(np.random.rand(20, 3)).query([0, 0, 0])[0] >= 0)",
        "from scipy import ndimage, optimize\nprint(ndimage.label(np.eye(4))[1], round(optimize.minimize_scalar(lambda x: (x - 2) ** 2).x, 3))",
        // Matplotlib with mathtext, and show() through the host.
        "fig, ax = plt.subplots()\nax.plot([1, 2], [3, 4])\nax.set_title('$x^2$')\nplt.show()\nprint('plotted')",
        // PIL decoding the input frame.
        "from PIL import Image\nim = np.asarray(InputImages[0].image)\nprint(im.shape, im[0, 0].tolist())",
        // Generated code inside the standard library.
        "from collections import namedtuple\nfrom dataclasses import dataclass, field\nP = namedtuple('P', 'a b')\n@dataclass\nclass Q:\n    a: int = 1\n    b: list = field(default_factory=list)\nprint(P(1, 2), Q())",
        // Files in scratch, numpy's header parsing, and json/re.
        "np.save('a.npy', np.arange(3))\nprint(np.load('a.npy').tolist())\nimport json, re, ast\nprint(json.dumps({'k': 1}), re.compile('a+').findall('caab'), ast.literal_eval('[1, 2]'))",
        "import warnings\nwarnings.warn('just a warning')\nimport traceback\ntry:\n    1/0\nexcept ZeroDivisionError:\n    print(traceback.format_exc().splitlines()[-1])",
        "import os, tempfile\nos.makedirs('sub/dir', exist_ok=True)\nopen('sub/dir/f.txt', 'w').write('hi')\nprint(sorted(os.listdir('sub')), open('sub/dir/f.txt').read())\nimport shutil\nshutil.rmtree('sub')\nprint(os.path.exists('sub'))",
    ];
    for cell in cells {
        let out = a.run(cell).await;
        assert!(out.succeeded(), "{cell}\n{:?}\n{}", out.error, out.stderr);
    }
    let plot = a
        .run("fig, ax = plt.subplots()\nax.imshow(np.zeros((4, 4)))\nplt.show()")
        .await;
    assert_eq!(plot.shows.len(), 1, "{:?}", plot.error);
    let frame = a
        .run("print(np.asarray(InputImages[0].image)[0, 0].tolist())")
        .await;
    assert_eq!(frame.stdout.trim(), "[10, 200, 30]", "{:?}", frame.error);
    a.assert_harmless(&frame).await;
}

/// A session resumed from its snapshot (after a kill) is still sandboxed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resumed_snapshot_is_still_sandboxed() {
    let mut a = Arena::new().await;
    assert!(a.run("kept = 5").await.succeeded());
    assert!(
        a.session.wait_for_snapshot(Duration::from_secs(10)).await,
        "no snapshot was taken"
    );
    let pid = a.session.pid().unwrap();
    let killer = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        // SAFETY: kill(2) on the session's own pid.
        unsafe { libc::kill(pid as i32, libc::SIGKILL) };
    });
    let died = a.run("import time\ntime.sleep(30)").await;
    killer.await.unwrap();
    assert!(died.interruption.is_some(), "the kill was noticed");
    let out = a.run("print(kept)").await;
    assert_eq!(
        out.stdout.trim(),
        "5",
        "{:?} {:?}",
        out.error,
        out.interruption
    );
    let out = a.refused("print(open('CANARY').read())").await;
    a.assert_harmless(&out).await;
    let out = a.refused("import os\nos.fork()").await;
    a.assert_harmless(&out).await;
}
