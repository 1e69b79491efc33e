//! Every whole-program benchmark in `benches/programs/` runs at its tiny
//! size through `smalt` and prints the checksum `suite.txt` expects; so
//! does its Lua twin when `lua5.4` is installed. A broken benchmark (or a
//! Smalt change that breaks one) fails here, long before anyone times it.

// Shared with the runner, which uses the parts this test does not.
#[path = "../benches/programs/suite.rs"]
#[allow(dead_code)]
mod suite;

use std::time::Duration;
use suite::{Outcome, Size};

const LIMIT: Duration = Duration::from_secs(60);

fn check(program: &str, file: String, b: &suite::Benchmark) -> Option<String> {
    let mut args = vec![file.clone()];
    args.extend(b.args(Size::Tiny));
    match suite::run(program, &args, b.checksum(Size::Tiny), LIMIT) {
        Outcome::Ok(_) => None,
        Outcome::Wrong(why) => Some(format!("{program} {}: {why}", args.join(" "))),
        Outcome::TimedOut(_) => Some(format!("{program} {}: did not finish in {} s", args.join(" "), LIMIT.as_secs())),
    }
}

#[test]
fn every_benchmark_prints_its_checksum_at_the_tiny_size() {
    let benchmarks = suite::load();
    assert!(benchmarks.len() >= 11, "suite.txt lists only {} benchmarks", benchmarks.len());
    let lua = suite::find_lua();
    let mut failures = vec![];
    for b in &benchmarks {
        for ext in ["st", "lua"] {
            let path = suite::programs_dir().join(format!("{}.{ext}", b.name));
            assert!(path.is_file(), "{} is missing", path.display());
        }
        failures.extend(check(env!("CARGO_BIN_EXE_smalt"), format!("{}.st", b.name), b));
        if let Some(lua) = &lua {
            failures.extend(check(lua, format!("{}.lua", b.name), b));
        }
    }
    assert!(failures.is_empty(), "benchmarks that failed:\n{}", failures.join("\n"));
}
