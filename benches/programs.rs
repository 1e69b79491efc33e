//! The whole-program benchmark suite: `cargo bench --bench programs`.
//!
//! Runs every program in `benches/programs/` (listed in `suite.txt`) with
//! the release `smalt` and, in the same rounds, its Lua 5.4 twin; checks
//! that each run prints the expected checksum; and prints a table of the
//! median wall times, the ratio smalt/Lua and the geometric mean of the
//! ratios. A benchmark whose checksum is wrong is reported as wrong and
//! not timed further. Without `lua5.4` the Lua column is skipped, with a
//! note.
//!
//! With `--against PATH`, where PATH is another `smalt` (typically a
//! release binary built from an earlier commit and copied aside), it
//! compares the two builds instead of smalt and Lua: every round runs each
//! benchmark once with PATH and once with this build, and the table gives
//! both medians, the ratio this build / PATH with two decimals and their
//! geometric mean. Lua is not run. On a shared or noisy machine timings
//! drift by 10-20% between runs minutes apart, so two builds can only be
//! compared when their runs alternate like this. (In either mode, which
//! of the two columns runs first alternates from one round to the next.)
//! For instance: `cargo build --release`, `cp target/release/smalt
//! /tmp/smalt-before`, make the change, then `cargo bench --bench
//! programs -- --against /tmp/smalt-before`.
//!
//! Options (after `--`): `--runs N` (default 5), `--only NAME[,NAME...]`,
//! `--size tiny|normal` (default normal), `--timeout SECONDS` per run
//! (default 300), `--against PATH`.
//!
//! Exit status: 0 when every run printed its checksum; 1 when a column
//! failed (WRONG or TIMEOUT in the table); 2 for bad options, an unknown
//! benchmark or a PATH that is not an executable file.

#[path = "programs/suite.rs"]
mod suite;

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;
use suite::{Benchmark, Outcome, Size};

/// What the command line asks for.
#[derive(Debug)]
struct Options {
    runs: usize,
    only: Option<Vec<String>>,
    size: Size,
    limit: Duration,
    /// Another smalt to compare this build with, instead of Lua.
    against: Option<String>,
}

/// Reads the options given after `--`; None when they make no sense.
fn parse_args(args: impl IntoIterator<Item = String>) -> Option<Options> {
    let mut o = Options { runs: 5, only: None, size: Size::Normal, limit: Duration::from_secs(300), against: None };
    let mut args = args.into_iter();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--runs" => o.runs = args.next()?.parse().ok().filter(|&n| n > 0)?,
            "--only" => o.only = Some(args.next()?.split(',').map(str::to_string).collect()),
            "--size" => {
                o.size = match args.next()?.as_str() {
                    "tiny" => Size::Tiny,
                    "normal" => Size::Normal,
                    _ => return None,
                }
            }
            "--timeout" => o.limit = Duration::from_secs(args.next()?.parse().ok()?),
            "--against" => o.against = Some(args.next()?),
            // `cargo bench` passes `--bench` to every bench target.
            "--bench" => {}
            _ => return None,
        }
    }
    Some(o)
}

fn usage() -> ! {
    eprintln!(
        "usage: cargo bench --bench programs -- [--runs N] [--only NAME[,NAME...]] [--size tiny|normal] \
         [--timeout SECONDS] [--against PATH-TO-ANOTHER-SMALT]"
    );
    std::process::exit(2)
}

/// A program that runs the benchmarks: one column of the table.
#[derive(Debug)]
struct Contender {
    /// The column's heading.
    heading: String,
    /// The executable.
    program: String,
    /// Which twin of each benchmark it runs: `st` or `lua`.
    ext: &'static str,
}

/// The ratio column: one contender's median over another's.
#[derive(Debug)]
struct Ratio {
    /// The contenders (indexes into `Plan::contenders`) above and below the line.
    over: usize,
    under: usize,
    /// Its heading in the table, and what the geometric mean line calls it.
    heading: String,
    name: String,
    /// How many decimals each ratio is printed with.
    decimals: usize,
}

/// What a run of the suite compares: the columns, in the table's order,
/// and the ratio between two of them, if there are two.
#[derive(Debug)]
struct Plan {
    contenders: Vec<Contender>,
    ratio: Option<Ratio>,
}

impl Plan {
    /// This build against another smalt at `path`, or else against Lua
    /// when it is installed, or else alone.
    fn new(against: Option<&str>) -> Result<Plan, String> {
        let this = env!("CARGO_BIN_EXE_smalt").to_string();
        if let Some(path) = against {
            return Ok(Plan {
                contenders: vec![
                    Contender { heading: path.to_string(), program: executable(path)?, ext: "st" },
                    Contender { heading: "this build".to_string(), program: this, ext: "st" },
                ],
                ratio: Some(Ratio {
                    over: 1,
                    under: 0,
                    heading: format!("this / {path}"),
                    name: format!("this build / {path}"),
                    decimals: 2,
                }),
            });
        }
        let smalt = Contender { heading: "smalt".to_string(), program: this, ext: "st" };
        Ok(match suite::find_lua() {
            Some(lua) => Plan {
                contenders: vec![smalt, Contender { heading: "Lua 5.4".to_string(), program: lua, ext: "lua" }],
                ratio: Some(Ratio {
                    over: 0,
                    under: 1,
                    heading: "smalt / Lua".to_string(),
                    name: "smalt / Lua".to_string(),
                    decimals: 1,
                }),
            },
            None => {
                println!(
                    "note: lua5.4 was not found (on Debian or Ubuntu: apt-get install lua5.4); the Lua column is skipped"
                );
                Plan { contenders: vec![smalt], ratio: None }
            }
        })
    }
}

/// `path` made absolute (the runs start in the programs directory), when
/// it names an executable file.
fn executable(path: &str) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("--against {path}: {e}"))?;
    if !meta.is_file() || meta.permissions().mode() & 0o111 == 0 {
        return Err(format!("--against {path}: not an executable file"));
    }
    let absolute = std::path::absolute(path).map_err(|e| format!("--against {path}: {e}"))?;
    Ok(absolute.to_string_lossy().into_owned())
}

/// The state of one column (one contender) of one benchmark.
#[derive(Debug)]
enum Column {
    Timed(Vec<Duration>),
    Failed(String),
}

impl Column {
    fn record(&mut self, outcome: Outcome) {
        if let Column::Timed(times) = self {
            *self = match outcome {
                Outcome::Ok(t) => {
                    times.push(t);
                    return;
                }
                Outcome::Wrong(why) => Column::Failed(format!("WRONG: {why}")),
                Outcome::TimedOut(limit) => Column::Failed(format!("TIMEOUT after {} s", limit.as_secs())),
            }
        }
    }

    fn is_failed(&self) -> bool {
        matches!(self, Column::Failed(_))
    }

    /// The median time; None when the column failed or has no times.
    fn median(&self) -> Option<Duration> {
        match self {
            Column::Timed(times) if !times.is_empty() => {
                let mut v = times.clone();
                v.sort();
                Some(v[v.len() / 2])
            }
            _ => None,
        }
    }

    /// The table cell: the median time, or why there is none.
    fn cell(&self) -> String {
        match (self, self.median()) {
            (Column::Failed(why), _) => why.clone(),
            (_, Some(m)) => format!("{:.3} s", m.as_secs_f64()),
            _ => "-".to_string(),
        }
    }
}

impl Ratio {
    /// The ratio of the medians in one benchmark's columns, when both have one.
    fn of(&self, row: &[Column]) -> Option<f64> {
        match (row[self.over].median(), row[self.under].median()) {
            (Some(a), Some(b)) if b > Duration::ZERO => Some(a.as_secs_f64() / b.as_secs_f64()),
            _ => None,
        }
    }
}

fn main() {
    let Options { runs, only, size, limit, against } = parse_args(std::env::args().skip(1)).unwrap_or_else(|| usage());

    let mut benchmarks: Vec<Benchmark> = suite::load();
    if let Some(names) = &only {
        for n in names {
            if !benchmarks.iter().any(|b| &b.name == n) {
                eprintln!(
                    "no benchmark named {n}; the suite has: {}",
                    benchmarks.iter().map(|b| b.name.as_str()).collect::<Vec<_>>().join(", ")
                );
                std::process::exit(2);
            }
        }
        benchmarks.retain(|b| names.contains(&b.name));
    }

    let plan = Plan::new(against.as_deref()).unwrap_or_else(|why| {
        eprintln!("{why}");
        std::process::exit(2)
    });
    let contenders = &plan.contenders;
    for c in contenders {
        println!("{}: {}", c.heading, c.program);
    }
    println!(
        "{} benchmarks, {} size, {runs} runs each{}\n",
        benchmarks.len(),
        if size == Size::Tiny { "tiny" } else { "normal" },
        match &contenders[..] {
            [a, b] => format!(", {} and {} interleaved", a.heading, b.heading),
            _ => String::new(),
        }
    );

    // One row per benchmark, one column per contender.
    let mut rows: Vec<Vec<Column>> =
        benchmarks.iter().map(|_| contenders.iter().map(|_| Column::Timed(vec![])).collect()).collect();
    for round in 1..=runs {
        eprint!("round {round}/{runs}:");
        for (b, row) in benchmarks.iter().zip(&mut rows) {
            eprint!(" {}", b.name);
            // Odd rounds run the contenders in order and even rounds in
            // reverse, so that neither always runs in the other's wake.
            for k in 0..contenders.len() {
                let c = if round % 2 == 1 { k } else { contenders.len() - 1 - k };
                if !row[c].is_failed() {
                    let mut args = vec![format!("{}.{}", b.name, contenders[c].ext)];
                    args.extend(b.args(size));
                    row[c].record(suite::run(&contenders[c].program, &args, b.checksum(size), limit));
                }
            }
        }
        eprintln!();
    }

    println!();
    let mut heading = "| benchmark | what |".to_string();
    let mut rule = "|---|---|".to_string();
    for c in contenders {
        heading += &format!(" {} (median) |", c.heading);
        rule += "---:|";
    }
    if let Some(ratio) = &plan.ratio {
        heading += &format!(" {} |", ratio.heading);
        rule += "---:|";
    }
    println!("{heading}\n{rule}");
    let mut log_sum = 0.0;
    let mut ratios = 0;
    for (b, row) in benchmarks.iter().zip(&rows) {
        let mut line = format!("| {} | {} |", b.name, b.what);
        for column in row {
            line += &format!(" {} |", column.cell());
        }
        if let Some(ratio) = &plan.ratio {
            let cell = match ratio.of(row) {
                Some(r) => {
                    log_sum += r.ln();
                    ratios += 1;
                    format!("{r:.*}x", ratio.decimals)
                }
                None => "-".to_string(),
            };
            line += &format!(" {cell} |");
        }
        println!("{line}");
    }
    if let Some(ratio) = plan.ratio.as_ref().filter(|_| ratios > 0) {
        println!(
            "\ngeometric mean of {} over {ratios} benchmarks: {:.2}x",
            ratio.name,
            (log_sum / ratios as f64).exp()
        );
    }
    let failed = rows.iter().flatten().filter(|c| c.is_failed()).count();
    if failed > 0 {
        println!("{failed} column(s) failed: see WRONG / TIMEOUT above");
        std::process::exit(1);
    }
}
