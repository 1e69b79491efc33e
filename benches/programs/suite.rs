//! The whole-program benchmark suite, shared by its runner
//! (`benches/programs.rs`) and its test (`tests/bench_programs.rs`): the
//! list in `suite.txt`, running one program under a time limit, and
//! reading its checksum.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One benchmark: `NAME.st` and `NAME.lua` in the programs directory.
#[derive(Debug, Clone)]
pub struct Benchmark {
    pub name: String,
    pub tiny_size: String,
    pub tiny_checksum: String,
    pub normal_checksum: String,
    pub what: String,
}

/// Which size a run uses: the test's tiny one, or the program's default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    Tiny,
    Normal,
}

impl Benchmark {
    pub fn args(&self, size: Size) -> Vec<String> {
        match size {
            Size::Tiny => vec![self.tiny_size.clone()],
            Size::Normal => vec![],
        }
    }

    pub fn checksum(&self, size: Size) -> &str {
        match size {
            Size::Tiny => &self.tiny_checksum,
            Size::Normal => &self.normal_checksum,
        }
    }
}

/// The directory holding the programs and `suite.txt`.
pub fn programs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("benches").join("programs")
}

/// The benchmarks listed in `suite.txt`, in its order.
pub fn load() -> Vec<Benchmark> {
    let path = programs_dir().join("suite.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let fields: Vec<&str> = l.split_whitespace().collect();
            assert!(fields.len() >= 4, "{}: a line needs name, tiny size and two checksums: {l}", path.display());
            Benchmark {
                name: fields[0].to_string(),
                tiny_size: fields[1].to_string(),
                tiny_checksum: fields[2].to_string(),
                normal_checksum: fields[3].to_string(),
                what: fields[4..].join(" "),
            }
        })
        .collect()
}

/// The Lua 5.4 interpreter on this machine: `lua5.4`, or a `lua` that says
/// it is 5.4; None when there is neither.
pub fn find_lua() -> Option<String> {
    for candidate in ["lua5.4", "lua"] {
        let out = Command::new(candidate).arg("-v").stdin(Stdio::null()).output();
        if let Ok(out) = out {
            let version = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
            if out.status.success() && version.contains("Lua 5.4") {
                return Some(candidate.to_string());
            }
        }
    }
    None
}

/// What one run of a program came to.
#[derive(Debug)]
pub enum Outcome {
    /// It printed the expected checksum as its last line, in this time.
    Ok(Duration),
    /// It finished but printed something else (or failed): why, briefly.
    Wrong(String),
    /// It did not finish within the time limit.
    TimedOut(Duration),
}

/// Runs `program args` in the programs directory, waits at most `limit`,
/// and checks that the last line of its output is `checksum`.
pub fn run(program: &str, args: &[String], checksum: &str, limit: Duration) -> Outcome {
    let started = Instant::now();
    let child = Command::new(program)
        .args(args)
        .current_dir(programs_dir())
        .env_remove("SMALT_GC_STRESS")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => return Outcome::Wrong(format!("could not start {program}: {e}")),
    };
    // The programs print a few lines at most, well within a pipe's buffer,
    // so polling for the exit cannot deadlock on a full pipe.
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > limit => {
                let _ = child.kill();
                let _ = child.wait();
                return Outcome::TimedOut(limit);
            }
            Ok(None) => std::thread::sleep(Duration::from_micros(500)),
            Err(e) => return Outcome::Wrong(format!("waiting for {program}: {e}")),
        }
    };
    let took = started.elapsed();
    let mut stdout = String::new();
    let mut stderr = String::new();
    if let Some(mut s) = child.stdout.take() {
        let _ = s.read_to_string(&mut stdout);
    }
    if let Some(mut s) = child.stderr.take() {
        let _ = s.read_to_string(&mut stderr);
    }
    if !status.success() {
        let first = stderr.lines().next().unwrap_or("").to_string();
        return Outcome::Wrong(format!("exited with {status}: {first}"));
    }
    let last = stdout.lines().last().unwrap_or("").trim().to_string();
    if last == checksum {
        Outcome::Ok(took)
    } else {
        Outcome::Wrong(format!("printed {last:?}, expected {checksum}"))
    }
}
