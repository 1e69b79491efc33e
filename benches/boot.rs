//! Boot and save benchmark: `cargo bench --bench boot`.
//!
//! Makes images of three sizes with the real `smalt` binary — the world as
//! built, about 10 MB (~100 000 objects) and about 200 MB (~2 million
//! objects) — then times, for each, whole processes that boot the image and
//! evaluate `3 + 4` (the median of many warm runs), reads the resident
//! memory of a process that has booted the image and waits for its program,
//! and times saving each image again. The built-in world, which the binary
//! carries in itself, is timed too. Ratios are against the small image,
//! measured in the same run.
//!
//! Then saves deltas over the 200 MB image — a small change and a big one —
//! and reports their size, how long saving them takes, and how long booting
//! them (base mapped, then the delta's pages) takes beside booting the base.
//!
//! Options (after `--`): `--runs N` (default 31).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn smalt() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_smalt"));
    c.env_remove("SMALT_GC_STRESS").stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    c
}

fn must(c: &mut Command) -> String {
    let o = c.output().expect("smalt runs");
    assert!(o.status.success(), "{:?} failed: {}", c, String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// The median wall time of each command line over `runs` rounds, after a
/// warm-up round; a round runs every command line once, in turn, so that a
/// change in the machine's load falls on all of them alike. Each run must
/// print "7".
fn time_interleaved(dir: &Path, commands: &[Vec<&str>], runs: usize) -> Vec<Duration> {
    let mut times = vec![Vec::with_capacity(runs); commands.len()];
    for round in 0..=runs {
        for (i, args) in commands.iter().enumerate() {
            let started = Instant::now();
            let out = must(smalt().current_dir(dir).args(args));
            let took = started.elapsed();
            assert_eq!(out, "7\n", "{args:?}");
            if round > 0 {
                times[i].push(took);
            }
        }
    }
    times.into_iter().map(median).collect()
}

/// Resident memory (KiB) of a process that has booted `image` and is
/// waiting for its program on stdin; None where /proc is not available.
fn resident_after_boot(dir: &Path, image: &str) -> Option<u64> {
    let mut child = smalt().current_dir(dir).args(["-i", image]).stdin(Stdio::piped()).spawn().ok()?;
    // Booting takes milliseconds; then smalt blocks reading its program.
    std::thread::sleep(Duration::from_millis(400));
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).ok();
    let mut stdin = child.stdin.take()?;
    stdin.write_all(b"(3 + 4) printNl.\n").ok()?;
    drop(stdin);
    let _ = child.wait_with_output();
    let line = status?.lines().find(|l| l.starts_with("VmRSS:"))?.to_string();
    line.split_whitespace().nth(1)?.parse().ok()
}

fn objects_in(dir: &Path, image: &str) -> String {
    let out = must(smalt().current_dir(dir).args(["image", "verify", image]));
    // "<file>: ok (N objects, ..."
    out.split('(').nth(1).and_then(|s| s.split(' ').next()).unwrap_or("?").to_string()
}

fn main() {
    let mut runs = 31;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--runs" {
            runs = args.next().and_then(|n| n.parse().ok()).unwrap_or(runs);
        }
    }
    let dir = tempfile::TempDir::new().expect("a temporary directory");
    let d = dir.path();
    println!("making images in {} ...", d.display());
    must(smalt().current_dir(d).args(["-e", "nil", "--save", "small.image"]));
    must(smalt().current_dir(d).args([
        "-e",
        "Smalltalk at: #Ballast put: ((1 to: 100000) collect: [:i | Array new: 10]). nil",
        "--save",
        "10mb.image",
    ]));
    must(smalt().current_dir(d).args([
        "-e",
        "Smalltalk at: #Ballast put: ((1 to: 2000000) collect: [:i | Array new: 10]). nil",
        "--save",
        "200mb.image",
    ]));

    println!();
    println!(
        "{:<22} {:>10} {:>10} {:>16} {:>8} {:>12} {:>12}",
        "image", "bytes", "objects", "boot + 3+4 (ms)", "ratio", "RSS (MiB)", "save (ms)"
    );
    let images = ["small.image", "10mb.image", "200mb.image"];
    let mut commands = vec![vec!["-e", "3 + 4"]];
    commands.extend(images.iter().map(|image| vec!["-i", image, "-e", "3 + 4"]));
    let boots = time_interleaved(d, &commands, runs);
    println!(
        "{:<22} {:>10} {:>10} {:>16.2} {:>8} {:>12} {:>12}",
        "built-in world",
        "-",
        "-",
        ms(boots[0]),
        "-",
        "-",
        "-"
    );
    for (image, &boot) in images.iter().zip(&boots[1..]) {
        let bytes = std::fs::metadata(d.join(image)).map(|m| m.len()).unwrap_or(0);
        let rss = resident_after_boot(d, image).map_or("n/a".to_string(), |k| format!("{:.1}", k as f64 / 1024.0));
        let save = median(
            (0..5)
                .map(|_| {
                    let started = Instant::now();
                    must(smalt().current_dir(d).args(["-i", image, "-e", "3 + 4", "--save", "resaved.image"]));
                    started.elapsed()
                })
                .collect(),
        );
        println!(
            "{:<22} {:>10} {:>10} {:>16.2} {:>8.2} {:>12} {:>12.1}",
            image,
            bytes,
            objects_in(d, image),
            ms(boot),
            boot.as_secs_f64() / boots[1].as_secs_f64(),
            rss,
            ms(save)
        );
    }
    println!();
    println!("boot times are medians of {runs} whole processes (spawn, boot, evaluate 3 + 4, exit), interleaved;");
    println!("save times are medians of 5 processes that boot, save the image again and exit.");

    deltas(d, runs);
}

/// Delta images over the 200 MB image: a small change (one slot, one new
/// 1000-element Array) and a big one (a tenth of the ballast replaced),
/// their size, the time to save them and to boot them against the base.
fn deltas(d: &Path, runs: usize) {
    let changes = [
        ("small change", "(Ballast at: 1000000) at: 1 put: 'changed'. Smalltalk at: #Extra put: (1 to: 1000) asArray"),
        ("1/10 replaced", "1 to: 200000 do: [:i | Ballast at: i * 10 put: (Array new: 10)]"),
    ];
    println!();
    println!(
        "{:<22} {:>12} {:>14} {:>16} {:>16}",
        "delta over 200mb", "bytes", "% of base", "save (ms)", "boot + 3+4 (ms)"
    );
    let base = std::fs::metadata(d.join("200mb.image")).map(|m| m.len()).unwrap_or(1);
    let mut names = Vec::new();
    let mut saves = Vec::new();
    for (i, (label, change)) in changes.iter().enumerate() {
        let name = format!("delta{i}.image");
        let statements = format!("{change}. nil");
        let save = median(
            (0..5)
                .map(|_| {
                    let started = Instant::now();
                    must(smalt().current_dir(d).args(["-i", "200mb.image", "-e", &statements, "--save-delta", &name]));
                    started.elapsed()
                })
                .collect(),
        );
        names.push((label, name));
        saves.push(save);
    }
    let commands: Vec<Vec<&str>> = std::iter::once(vec!["-i", "200mb.image", "-e", "3 + 4"])
        .chain(names.iter().map(|(_, name)| vec!["-i", name.as_str(), "-e", "3 + 4"]))
        .collect();
    let boots = time_interleaved(d, &commands, runs);
    println!("{:<22} {:>12} {:>14} {:>16} {:>16.2}", "(the base itself)", base, "100", "-", ms(boots[0]));
    for (((label, name), save), boot) in names.iter().zip(&saves).zip(&boots[1..]) {
        let bytes = std::fs::metadata(d.join(name)).map(|m| m.len()).unwrap_or(0);
        println!(
            "{:<22} {:>12} {:>14.3} {:>16.1} {:>16.2}",
            label,
            bytes,
            100.0 * bytes as f64 / base as f64,
            ms(*save),
            ms(*boot)
        );
    }
    println!("delta save times are medians of 5 processes that boot the base, change it and save the delta.");
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
