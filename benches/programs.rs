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
//! Options (after `--`): `--runs N` (default 5), `--only NAME[,NAME...]`,
//! `--size tiny|normal` (default normal), `--timeout SECONDS` per run
//! (default 300).

#[path = "programs/suite.rs"]
mod suite;

use std::time::Duration;
use suite::{Benchmark, Outcome, Size};

/// The state of one column (smalt or Lua) of one benchmark.
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
}

fn usage() -> ! {
    eprintln!("usage: cargo bench --bench programs -- [--runs N] [--only NAME[,NAME...]] [--size tiny|normal] [--timeout SECONDS]");
    std::process::exit(2)
}

fn main() {
    let mut runs = 5usize;
    let mut only: Option<Vec<String>> = None;
    let mut size = Size::Normal;
    let mut limit = Duration::from_secs(300);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--runs" => runs = args.next().and_then(|n| n.parse().ok()).filter(|&n| n > 0).unwrap_or_else(|| usage()),
            "--only" => only = Some(args.next().unwrap_or_else(|| usage()).split(',').map(str::to_string).collect()),
            "--size" => {
                size = match args.next().as_deref() {
                    Some("tiny") => Size::Tiny,
                    Some("normal") => Size::Normal,
                    _ => usage(),
                }
            }
            "--timeout" => {
                limit = Duration::from_secs(args.next().and_then(|n| n.parse().ok()).unwrap_or_else(|| usage()))
            }
            // `cargo bench` passes `--bench` to every bench target.
            "--bench" => {}
            _ => usage(),
        }
    }

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

    let smalt = env!("CARGO_BIN_EXE_smalt").to_string();
    let lua = suite::find_lua();
    println!("smalt: {smalt}");
    match &lua {
        Some(l) => println!("lua:   {l}"),
        None => println!(
            "note: lua5.4 was not found (on Debian or Ubuntu: apt-get install lua5.4); the Lua column is skipped"
        ),
    }
    println!(
        "{} benchmarks, {} size, {runs} runs each{}\n",
        benchmarks.len(),
        if size == Size::Tiny { "tiny" } else { "normal" },
        if lua.is_some() { ", smalt and Lua interleaved" } else { "" }
    );

    let mut smalt_cols: Vec<Column> = benchmarks.iter().map(|_| Column::Timed(vec![])).collect();
    let mut lua_cols: Vec<Column> = benchmarks.iter().map(|_| Column::Timed(vec![])).collect();
    for round in 1..=runs {
        eprint!("round {round}/{runs}:");
        for (i, b) in benchmarks.iter().enumerate() {
            eprint!(" {}", b.name);
            let args = b.args(size);
            if !smalt_cols[i].is_failed() {
                let mut st_args = vec![format!("{}.st", b.name)];
                st_args.extend(args.iter().cloned());
                smalt_cols[i].record(suite::run(&smalt, &st_args, b.checksum(size), limit));
            }
            if let Some(lua) = &lua {
                if !lua_cols[i].is_failed() {
                    let mut lua_args = vec![format!("{}.lua", b.name)];
                    lua_args.extend(args.iter().cloned());
                    lua_cols[i].record(suite::run(lua, &lua_args, b.checksum(size), limit));
                }
            }
        }
        eprintln!();
    }

    let secs = |d: Duration| format!("{:.3} s", d.as_secs_f64());
    println!();
    if lua.is_some() {
        println!("| benchmark | what | smalt (median) | Lua 5.4 (median) | smalt / Lua |");
        println!("|---|---|---:|---:|---:|");
    } else {
        println!("| benchmark | what | smalt (median) |");
        println!("|---|---|---:|");
    }
    let mut log_sum = 0.0;
    let mut ratios = 0;
    for (i, b) in benchmarks.iter().enumerate() {
        let st = match (&smalt_cols[i], smalt_cols[i].median()) {
            (Column::Failed(why), _) => why.clone(),
            (_, Some(m)) => secs(m),
            _ => "-".to_string(),
        };
        if lua.is_some() {
            let lu = match (&lua_cols[i], lua_cols[i].median()) {
                (Column::Failed(why), _) => why.clone(),
                (_, Some(m)) => secs(m),
                _ => "-".to_string(),
            };
            let ratio = match (
                smalt_cols[i].is_failed(),
                smalt_cols[i].median(),
                lua_cols[i].is_failed(),
                lua_cols[i].median(),
            ) {
                (false, Some(s), false, Some(l)) if l > Duration::ZERO => {
                    let r = s.as_secs_f64() / l.as_secs_f64();
                    log_sum += r.ln();
                    ratios += 1;
                    format!("{r:.1}x")
                }
                _ => "-".to_string(),
            };
            println!("| {} | {} | {st} | {lu} | {ratio} |", b.name, b.what);
        } else {
            println!("| {} | {} | {st} |", b.name, b.what);
        }
    }
    if ratios > 0 {
        println!("\ngeometric mean of smalt / Lua over {ratios} benchmarks: {:.2}x", (log_sum / ratios as f64).exp());
    }
    let wrong = smalt_cols.iter().chain(lua_cols.iter()).filter(|c| c.is_failed()).count();
    if wrong > 0 {
        println!("{wrong} column(s) failed: see WRONG / TIMEOUT above");
        std::process::exit(1);
    }
}
