//! The real kernel: a Python session process driven over the pipe.

use std::time::Duration;

use serde_json::{Value, json};
use spatialclaw_kernel::{
    Array, HostError, HostHandler, InputFrame, Interruption, KernelSession, NoHost, SessionInputs,
    SessionOptions, ensure_python_env,
};

fn inputs(dir: &std::path::Path) -> SessionInputs {
    let path = dir.join("frame.png");
    let mut bytes = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut bytes, 4, 3);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.write_header()
            .unwrap()
            .write_image_data(&[255, 0, 0].repeat(12))
            .unwrap();
    }
    std::fs::write(&path, bytes).unwrap();
    SessionInputs {
        frames: vec![InputFrame {
            path,
            frame_index: 30,
        }],
        metadata: json!({"is_video": false, "fps": null, "total_frames": 1, "num_images": 1}),
        ..Default::default()
    }
}

async fn start(dir: &std::path::Path) -> KernelSession {
    let env = ensure_python_env(|m| eprintln!("{m}")).expect("python environment");
    let options = SessionOptions {
        interrupt_grace: Duration::from_millis(800),
        ..Default::default()
    };
    KernelSession::start(&env, inputs(dir), options)
        .await
        .expect("session starts")
}

const LIMIT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn variables_persist_and_output_is_captured() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = start(dir.path()).await;
    let a = s
        .exec("x = 41\nprint('hello', x)", LIMIT, &NoHost)
        .await
        .unwrap();
    assert!(a.succeeded(), "{:?}", a.error);
    assert_eq!(a.stdout, "hello 41\n");
    let x = a
        .variables
        .iter()
        .find(|v| v.name == "x")
        .expect("x reported as new");
    assert_eq!(x.value, Some(json!(41)));
    let b = s
        .exec(
            "x += 1\ny = np.zeros((2, 3), dtype=np.float32)\nx",
            LIMIT,
            &NoHost,
        )
        .await
        .unwrap();
    assert_eq!(b.last_expr.as_deref(), Some("42"));
    let y = b.variables.iter().find(|v| v.name == "y").unwrap();
    assert_eq!(y.shape, Some(vec![2, 3]));
    assert_eq!(y.dtype.as_deref(), Some("float32"));
    assert_eq!(
        b.variables.iter().find(|v| v.name == "x").unwrap().value,
        Some(json!(42))
    );
    // Inputs are there with absolute frame indices.
    let c = s
        .exec(
            "print(len(InputImages), InputImages[0].frame_index, Metadata.num_images)",
            LIMIT,
            &NoHost,
        )
        .await
        .unwrap();
    assert_eq!(c.stdout.trim(), "1 30 1", "{:?}", c.error);
    // Only what a cell changed is reported: the namespace as the previous cell left it is the
    // baseline (it is not walked again before each cell).
    assert!(c.variables.is_empty(), "{:?}", c.variables);
    let d = s
        .exec(
            "del y
x = 'done'",
            LIMIT,
            &NoHost,
        )
        .await
        .unwrap();
    assert_eq!(d.removed, vec!["y".to_string()]);
    assert_eq!(d.variables.len(), 1, "{:?}", d.variables);
    assert_eq!(d.variables[0].value, Some(json!("done")));
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_keep_earlier_assignments_and_name_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = start(dir.path()).await;
    let out = s
        .exec("a = 1\nb = 2\nc = [1][5]\nd = 4", LIMIT, &NoHost)
        .await
        .unwrap();
    let err = out.error.expect("IndexError");
    assert_eq!(err.kind, "IndexError");
    assert_eq!(err.line, Some(3));
    assert!(
        out.variables.iter().any(|v| v.name == "b"),
        "variables before the error line are kept"
    );
    let next = s.exec("print(a + b)", LIMIT, &NoHost).await.unwrap();
    assert_eq!(next.stdout.trim(), "3");
    let syntax = s.exec("def f(:\n  pass", LIMIT, &NoHost).await.unwrap();
    assert_eq!(syntax.error.unwrap().kind, "SyntaxError");
    let exit = s.exec("raise SystemExit(3)", LIMIT, &NoHost).await.unwrap();
    assert_eq!(exit.error.unwrap().kind, "SystemExit");
    assert_eq!(
        s.exec("print(a)", LIMIT, &NoHost)
            .await
            .unwrap()
            .stdout
            .trim(),
        "1",
        "SystemExit did not end the session"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_python_level_timeout_returns_control_and_keeps_state() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = start(dir.path()).await;
    s.exec("kept = 'yes'", LIMIT, &NoHost).await.unwrap();
    let out = s
        .exec(
            "i = 0\nwhile True:\n    i += 1",
            Duration::from_millis(500),
            &NoHost,
        )
        .await
        .unwrap();
    assert!(
        matches!(out.interruption, Some(Interruption::TimedOut { .. })),
        "{:?}",
        out.interruption
    );
    assert!(!out.state_lost);
    assert_eq!(out.error.unwrap().kind, "TimeoutError");
    let after = s.exec("print(kept, i > 0)", LIMIT, &NoHost).await.unwrap();
    assert_eq!(after.stdout.trim(), "yes True");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cell_stuck_in_c_code_is_killed_and_the_loss_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = start(dir.path()).await;
    // The matrix is made first so the timed cell is a single BLAS call (seconds of
    // single-threaded matmul), which never checks for signals.
    s.exec("kept = 1\na = np.random.rand(5000, 5000)", LIMIT, &NoHost)
        .await
        .unwrap();
    let out = s
        .exec("b = a @ a", Duration::from_millis(1000), &NoHost)
        .await
        .unwrap();
    assert!(
        matches!(
            out.interruption,
            Some(Interruption::KilledAfterTimeout { .. })
        ),
        "{:?}",
        out.interruption
    );
    assert!(
        out.restored_from_snapshot,
        "resumed from the snapshot of the last finished cell"
    );
    assert!(!out.state_lost);
    let code = "print(kept, a.shape, 'b' in globals(), InputImages[0].frame_index)";
    let after = s.exec(code, LIMIT, &NoHost).await.unwrap();
    assert_eq!(
        after.stdout.trim(),
        "1 (5000, 5000) False 30",
        "earlier variables survive; the killed cell left nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_session_is_restarted_with_a_clear_reason() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = start(dir.path()).await;
    s.exec("kept = [1, 2, 3]", LIMIT, &NoHost).await.unwrap();
    let pid = s.pid().unwrap();
    let killer = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        // SAFETY: kill(2) on the session's own pid.
        unsafe { libc::kill(pid as i32, libc::SIGKILL) };
    });
    let out = s
        .exec(
            "import time\ntime.sleep(30)",
            Duration::from_secs(60),
            &NoHost,
        )
        .await
        .unwrap();
    killer.await.unwrap();
    match out.interruption {
        Some(Interruption::Died { detail }) => assert!(detail.contains("SIGKILL"), "{detail}"),
        other => panic!("expected Died, got {other:?}"),
    }
    assert!(out.restored_from_snapshot);
    assert_ne!(
        s.pid().unwrap(),
        pid,
        "a different process serves the session now"
    );
    let after = s.exec("print(sum(kept))", LIMIT, &NoHost).await.unwrap();
    assert_eq!(after.stdout.trim(), "6");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn os_exit_and_segfault_are_reported_and_survived() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = start(dir.path()).await;
    s.exec("kept = 'still here'", LIMIT, &NoHost).await.unwrap();
    let out = s
        .exec("import os\nos._exit(3)", LIMIT, &NoHost)
        .await
        .unwrap();
    match &out.interruption {
        Some(Interruption::Died { detail }) => {
            assert!(detail.contains("exited with status 3"), "{detail}")
        }
        other => panic!("expected Died, got {other:?}"),
    }
    assert!(out.restored_from_snapshot);
    let pid = s.pid().unwrap();
    let killer = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        // SAFETY: kill(2) on the session's own pid (ctypes is blocked for agent code).
        unsafe { libc::kill(pid as i32, libc::SIGSEGV) };
    });
    let out = s
        .exec("import time\ntime.sleep(30)", LIMIT, &NoHost)
        .await
        .unwrap();
    killer.await.unwrap();
    match &out.interruption {
        Some(Interruption::Died { detail }) => {
            assert!(detail.contains("segmentation fault"), "{detail}")
        }
        other => panic!("expected Died, got {other:?}"),
    }
    let after = s.exec("print(kept)", LIMIT, &NoHost).await.unwrap();
    assert_eq!(after.stdout.trim(), "still here");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_death_before_any_snapshot_starts_fresh_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = start(dir.path()).await;
    let out = s
        .exec("import os\nos._exit(0)", LIMIT, &NoHost)
        .await
        .unwrap();
    assert!(matches!(out.interruption, Some(Interruption::Died { .. })));
    assert!(!out.restored_from_snapshot);
    assert!(!out.state_lost, "nothing existed yet, so nothing was lost");
    let after = s
        .exec("print(len(InputImages))", LIMIT, &NoHost)
        .await
        .unwrap();
    assert_eq!(after.stdout.trim(), "1");
}

/// Host requests: the runtime's `host.call` reaches the handler with arrays intact, and errors
/// come back as the exception type the host names.
struct Echo;
impl HostHandler for Echo {
    async fn handle(
        &self,
        method: &str,
        params: &Value,
        arrays: Vec<Array>,
    ) -> Result<(Value, Vec<Array>), HostError> {
        match method {
            "test.double" => {
                let v = arrays[0].to_f32().unwrap();
                let doubled: Vec<f32> = v.iter().map(|x| x * 2.0).collect();
                Ok((
                    json!({"n": params["n"]}),
                    vec![Array::from_f32(arrays[0].shape.clone(), &doubled).unwrap()],
                ))
            }
            _ => Err(HostError::value(format!("no such method {method}"))),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_requests_carry_arrays_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = start(dir.path()).await;
    let code = "from spatialclaw_kernel import host\n\
                h, out = host.call('test.double', {'n': 3}, [np.arange(6, dtype=np.float32).reshape(2, 3)])\n\
                print(h['n'], out[0].shape, out[0].dtype, out[0].sum())\n\
                try:\n    host.call('nope', {})\nexcept ValueError as e:\n    print('ValueError', e)";
    let out = s.exec(code, LIMIT, &Echo).await.unwrap();
    assert!(out.succeeded(), "{:?}", out.error);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines[0], "3 (2, 3) float32 30.0");
    assert_eq!(lines[1], "ValueError no such method nope");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn show_and_return_answer_are_messages_to_the_host() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = start(dir.path()).await;
    let code = "img = np.zeros((8, 10, 3), dtype=np.uint8)\n\
                show(img)\n\
                show(InputImages[0], label='the frame')\n\
                fig, ax = plt.subplots(); ax.set_title('a plot'); plt.show()\n\
                ReturnAnswer(np.float64(2.5))\n\
                ReturnAnswer = 'forged'";
    let out = s.exec(code, LIMIT, &NoHost).await.unwrap();
    assert!(out.succeeded(), "{:?}", out.error);
    let labels: Vec<&str> = out.shows.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(labels, ["img", "the frame", "a plot"]);
    assert!(out.shows.iter().all(|s| s.png.starts_with(b"\x89PNG")));
    let answer = out.answer.expect("answer submitted");
    assert_eq!(
        (answer.text.as_str(), answer.raw_type.as_str()),
        ("2.5", "float")
    );
    assert!(
        out.warnings.iter().any(|w| w.contains("ReturnAnswer")),
        "{:?}",
        out.warnings
    );
    let again = s.exec("ReturnAnswer('B')", LIMIT, &NoHost).await.unwrap();
    assert_eq!(
        again.answer.unwrap().text,
        "B",
        "the real ReturnAnswer was restored"
    );
    let bad = s
        .exec("ReturnAnswer([1, 2])", LIMIT, &NoHost)
        .await
        .unwrap();
    assert_eq!(bad.error.unwrap().kind, "TypeError");
    assert!(bad.answer.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_output_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = start(dir.path()).await;
    let out = s
        .exec(
            "for i in range(200000):\n    print('line', i)",
            LIMIT,
            &NoHost,
        )
        .await
        .unwrap();
    assert!(
        out.stdout.len() < 100_000,
        "{} bytes reached the host",
        out.stdout.len()
    );
    assert!(out.stdout.starts_with("line 0\n"));
    assert!(out.stdout.trim_end().ends_with("line 199999"));
    assert!(out.stdout.contains("characters dropped"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_sees_no_host_environment() {
    // SAFETY: set before the session is spawned; the variable must not reach it.
    unsafe { std::env::set_var("SPATIALCLAW_TEST_SECRET", "hunter2") };
    let dir = tempfile::tempdir().unwrap();
    let mut s = start(dir.path()).await;
    let out = s
        .exec(
            "from spatialclaw_kernel import session\nimport os\nprint(sorted(os.environ))",
            LIMIT,
            &NoHost,
        )
        .await
        .unwrap();
    assert!(
        !out.stdout.contains("SPATIALCLAW_TEST_SECRET"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("PYTHONPATH"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_an_idle_session_is_noticed_at_the_next_cell() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = start(dir.path()).await;
    s.exec("kept = 5", LIMIT, &NoHost).await.unwrap();
    assert!(s.wait_for_snapshot(Duration::from_secs(10)).await);
    s.kill();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let out = s.exec("print(kept * 2)", LIMIT, &NoHost).await.unwrap();
    assert!(
        matches!(out.interruption, Some(Interruption::Died { .. })),
        "{:?}",
        out.interruption
    );
    assert!(out.restored_from_snapshot);
    assert_eq!(out.cells_lost_before, 0);
    let again = s.exec("print(kept * 2)", LIMIT, &NoHost).await.unwrap();
    assert_eq!(again.stdout.trim(), "10");
}

/// Processes whose process group is `pgid` (the session and its snapshots).
fn group_members(pgid: u32) -> usize {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|s| {
                    s.rsplit_once(')')
                        .map(|(_, rest)| rest.split_whitespace().nth(2).map(str::to_owned))
                })
                .flatten()
                .is_some_and(|g| g == pgid.to_string())
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_process_outlives_a_session_even_after_a_resume() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = start(dir.path()).await;
    let group = s.pid().unwrap();
    s.exec("x = 1", LIMIT, &NoHost).await.unwrap();
    assert!(s.wait_for_snapshot(Duration::from_secs(10)).await);
    s.kill();
    let out = s.exec("y = x + 1", LIMIT, &NoHost).await.unwrap();
    assert!(out.restored_from_snapshot, "resumed from the snapshot");
    // The resumed process forks a new standby right away; both stay in the session's group.
    let mut members = 0;
    for _ in 0..100 {
        members = group_members(group);
        if members >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        members >= 2,
        "resumed process and its snapshot stay in the session's group"
    );
    drop(s);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        group_members(group),
        0,
        "dropping the session ends every process it had"
    );
}

/// Children of `pid`, from /proc (the zygote's sessions and its spare).
fn children_of(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{child}/stat")) else {
            continue;
        };
        // "pid (comm) state ppid ...": comm may hold spaces, so split after the last ')'.
        let after = &stat[stat.rfind(')').map_or(0, |i| i + 1)..];
        if after.split_whitespace().nth(1) == Some(pid.to_string().as_str()) {
            out.push(child);
        }
    }
    out
}

async fn wait_for_child(zygote: u32, except: &[u32]) -> u32 {
    for _ in 0..1000 {
        if let Some(p) = children_of(zygote)
            .into_iter()
            .find(|p| !except.contains(p))
        {
            return p;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the zygote forked no spare session");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_come_from_a_spare_and_a_dead_spare_is_never_handed_out() {
    let env = ensure_python_env(|m| eprintln!("{m}")).expect("python environment");
    let pool = spatialclaw_kernel::KernelPool::new(&env).expect("pool");
    let dir = tempfile::tempdir().unwrap();
    let start = || KernelSession::start_in(&pool, inputs(dir.path()), SessionOptions::default());

    // The first session starts the zygote, which then keeps a spare forked ahead of need;
    // the next session is that very process.
    let first = start().await.expect("first session");
    let zygote = pool.zygote_pid().expect("zygote pid");
    let first_pid = first.pid().expect("pid");
    let spare = wait_for_child(zygote, &[first_pid]).await;
    let second = start().await.expect("second session");
    assert_eq!(second.pid(), Some(spare));

    // The next spare dies before it is used: the next session must still start and work.
    let dead = wait_for_child(zygote, &[first_pid, spare]).await;
    // SAFETY: kill(2) with a pid just read from /proc; no memory is involved.
    unsafe { libc::kill(dead as i32, libc::SIGKILL) };
    let mut third = start()
        .await
        .expect("a session starts although the spare was killed");
    assert_ne!(third.pid(), Some(dead));
    let out = third.exec("print(6 * 7)", LIMIT, &NoHost).await.unwrap();
    assert_eq!(out.stdout, "42\n");
    for s in [first, second, third] {
        s.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_a_cell_writes_are_copied_before_the_next_cell_runs() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = start(dir.path()).await;
    let warming = s
        .ready()
        .page_warming
        .clone()
        .expect("page warming is reported");
    if !warming.active {
        // Only an old kernel (no MADV_POPULATE_WRITE) may turn it off, and it must say so.
        assert!(warming.detail.contains("kernel"), "{}", warming.detail);
        eprintln!("page warming is off here: {}", warming.detail);
        return;
    }
    let mut faults = Vec::new();
    for i in 0..8 {
        let out = s.exec(&format!("x = {i}"), LIMIT, &NoHost).await.unwrap();
        assert!(out.succeeded(), "{:?}", out.error);
        faults.push(
            out.page_faults
                .expect("the cell's page faults are reported"),
        );
        assert!(s.wait_for_snapshot(Duration::from_secs(10)).await);
    }
    eprintln!("page faults per cell: {faults:?}");
    // The second cell follows the first snapshot fork, which is left unwarmed (its list would
    // hold the whole start-up): it pays copy-on-write faults. From the third cell on, the
    // pages the previous cell wrote were copied ahead, so a trivial cell takes almost none.
    assert!(faults[1] > 5, "an unwarmed fork costs faults: {faults:?}");
    for (i, &f) in faults.iter().enumerate().skip(2) {
        assert!(f <= 5, "cell {} took {f} page faults: {faults:?}", i + 1);
    }
    // Warming only copies memory: every value is what the cells left.
    let out = s.exec("print(x)", LIMIT, &NoHost).await.unwrap();
    assert_eq!(out.stdout, "7\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spare_copies_what_the_last_session_wrote_starting() {
    let env = ensure_python_env(|m| eprintln!("{m}")).expect("python environment");
    let pool = spatialclaw_kernel::KernelPool::new(&env).expect("pool");
    let dir = tempfile::tempdir().unwrap();
    let start = || KernelSession::start_in(&pool, inputs(dir.path()), SessionOptions::default());

    // The zygote's first spare is forked before any session started: nothing to copy.
    let first = start().await.expect("first session");
    let first_start = first.ready().start.clone().expect("start is reported");
    assert!(first_start.from_spare);
    assert_eq!(first_start.pages_copied_ahead, 0);
    let first_faults = first_start.page_faults.expect("start faults");

    // The next spare is forked once the first session is ready, and copies the pages that
    // session wrote while starting.
    let zygote = pool.zygote_pid().expect("zygote pid");
    let spare = wait_for_child(zygote, &[first.pid().unwrap()]).await;
    let second = start().await.expect("second session");
    assert_eq!(second.pid(), Some(spare));
    let second_start = second.ready().start.clone().expect("start is reported");
    if !second
        .ready()
        .page_warming
        .as_ref()
        .is_some_and(|w| w.active)
    {
        eprintln!("page warming is off here");
        return;
    }
    assert!(second_start.pages_copied_ahead > 0, "{second_start:?}");
    let second_faults = second_start.page_faults.expect("start faults");
    assert!(
        second_faults * 4 < first_faults,
        "a warmed spare starts with far fewer faults: {second_faults} vs {first_faults}"
    );
    for s in [first, second] {
        s.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_returns_once_every_process_of_the_session_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = start(dir.path()).await;
    let group = s.pid().unwrap();
    for cell in ["x = 1", "y = 2"] {
        s.exec(cell, LIMIT, &NoHost).await.unwrap();
    }
    assert!(s.wait_for_snapshot(Duration::from_secs(10)).await);
    assert!(group_members(group) >= 2, "the session and its snapshot");
    s.shutdown().await;
    assert_eq!(
        group_members(group),
        0,
        "no process of the session is left when shutdown returns"
    );
}
