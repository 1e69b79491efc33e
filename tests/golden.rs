//! The golden suite: every `tests/golden/<area>/<behaviour>.st` is run by the
//! real `smalt` binary; its stdout must equal `<behaviour>.out`. Where a
//! `<behaviour>.err` exists the program must end with exit status 1 and that
//! stderr; otherwise with status 0 and an empty stderr.
//!
//! The suite runs twice: normally, and with `SMALT_GC_STRESS=1`, which
//! collects at every safe point, moves every survivor and verifies the heap.
//! Under stress the depth limit is 150 000 frames (`--max-depth`), so that a
//! runaway recursion, collected at each of its sends, ends in seconds; that
//! is still above the 100 000 frames a program may use.
//! Programs run on as many threads as the machine has cores, each for at
//! most three minutes.
//! `SMALT_GOLDEN=substring` runs only the programs whose path contains it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long one program may take: many times what the slowest takes under
/// stress (a few seconds), so that a program that hangs fails the suite
/// with its name instead of running until CI gives up.
const LIMIT: Duration = Duration::from_secs(180);

fn programs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("golden");
    let mut found = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "st") {
                found.push(path);
            }
        }
    }
    let filter = std::env::var("SMALT_GOLDEN").unwrap_or_default();
    found.retain(|p| p.to_string_lossy().contains(&filter));
    found.sort();
    found
}

/// The first line where two texts differ, described for a failure message.
fn first_difference(expected: &str, actual: &str) -> String {
    let mut e = expected.lines();
    let mut a = actual.lines();
    for line in 1.. {
        match (e.next(), a.next()) {
            (None, None) => return "the texts differ only in their final newline".into(),
            (x, y) if x == y => continue,
            (x, y) => {
                return format!(
                    "line {line}:\n  expected: {}\n  actual:   {}",
                    x.unwrap_or("<end of output>"),
                    y.unwrap_or("<end of output>")
                )
            }
        }
    }
    unreachable!()
}

fn run_suite(stress: bool) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let programs = programs();
    assert!(!programs.is_empty(), "no golden programs found under tests/golden");
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                while let Some(program) = programs.get(next.fetch_add(1, Ordering::Relaxed)) {
                    if let Some(failure) = check_program(root, program, stress) {
                        failures.lock().expect("no test thread panicked holding the list").push(failure);
                    }
                }
            });
        }
    });
    let mut failures = failures.into_inner().expect("no test thread panicked holding the list");
    failures.sort();
    assert!(
        failures.is_empty(),
        "{} of {} golden programs failed{}:\n\n{}",
        failures.len(),
        programs.len(),
        if stress { " under SMALT_GC_STRESS" } else { "" },
        failures.join("\n\n")
    );
}

/// Runs `command` to its end with no input, its output going to files
/// (so that no pipe fills while it runs), unless it takes longer than
/// [`LIMIT`]: then it is killed.
fn output_within_limit(mut command: Command) -> Result<Output, String> {
    let dir = tempfile::tempdir().map_err(|e| format!("no temporary directory: {e}"))?;
    let (out_path, err_path) = (dir.path().join("stdout"), dir.path().join("stderr"));
    let create = |path: &Path| fs::File::create(path).map_err(|e| format!("cannot create {}: {e}", path.display()));
    command.stdin(Stdio::null()).stdout(create(&out_path)?).stderr(create(&err_path)?);
    let mut child = command.spawn().map_err(|e| format!("could not run smalt: {e}"))?;
    let started = Instant::now();
    let status = loop {
        match child.try_wait().map_err(|e| format!("waiting for smalt: {e}"))? {
            Some(status) => break status,
            None if started.elapsed() > LIMIT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("did not finish in {} s", LIMIT.as_secs()));
            }
            None => std::thread::sleep(Duration::from_millis(5)),
        }
    };
    let read = |path: &Path| fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()));
    Ok(Output { status, stdout: read(&out_path)?, stderr: read(&err_path)? })
}

/// Runs one program; describes how it went wrong, if it did.
fn check_program(root: &Path, program: &Path, stress: bool) -> Option<String> {
    let relative = program.strip_prefix(root).unwrap_or(program);
    let mut command = Command::new(env!("CARGO_BIN_EXE_smalt"));
    command.current_dir(root).env_remove("SMALT_GC_STRESS");
    if stress {
        command.env("SMALT_GC_STRESS", "1").args(["--max-depth", "150000"]);
    }
    command.arg(relative);
    let output = match output_within_limit(command) {
        Ok(o) => o,
        Err(e) => return Some(format!("{}: {e}", relative.display())),
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let expected_out = fs::read_to_string(program.with_extension("out")).unwrap_or_default();
    let expected_err = fs::read_to_string(program.with_extension("err")).ok();
    let status = output.status.code();
    let want_status = if expected_err.is_some() { 1 } else { 0 };
    if status != Some(want_status) {
        Some(format!(
            "{}: exit status {status:?}, expected {want_status}\n  stderr: {}",
            relative.display(),
            stderr.lines().take(12).collect::<Vec<_>>().join("\n          ")
        ))
    } else if stdout != expected_out {
        Some(format!("{}: stdout differs at {}", relative.display(), first_difference(&expected_out, &stdout)))
    } else if stderr != expected_err.clone().unwrap_or_default() {
        Some(format!(
            "{}: stderr differs at {}",
            relative.display(),
            first_difference(&expected_err.unwrap_or_default(), &stderr)
        ))
    } else {
        None
    }
}

#[test]
fn golden_programs() {
    run_suite(false);
}

#[test]
fn golden_programs_under_gc_stress() {
    run_suite(true);
}
