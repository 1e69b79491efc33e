//! `smalt test`, run as a real process: the class library's own SUnit tests
//! (tests/sunit/*.st) must all pass, and the report format is pinned by the
//! programs in tests/test_command/ (a failing, an erroring and a skipped
//! test; files that do not load).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `smalt test` on `files` (relative to the repository root).
fn smalt_test(files: &[PathBuf], stress: bool) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_smalt"));
    command.current_dir(root()).env_remove("SMALT_GC_STRESS").arg("test").args(files);
    if stress {
        command.env("SMALT_GC_STRESS", "1");
    }
    command.output().expect("the smalt binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn library_test_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(root().join("tests/sunit"))
        .expect("tests/sunit exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "st"))
        .map(|p| p.strip_prefix(root()).map(Path::to_path_buf).unwrap_or(p))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no SUnit tests under tests/sunit");
    files
}

/// The last line of a run's stdout, which must be the summary.
fn summary(out: &Output) -> String {
    text(&out.stdout).lines().last().unwrap_or("<no output>").to_string()
}

/// "N passed, 0 failed": answers N.
fn passed_count(line: &str) -> Option<usize> {
    let (passed, rest) = line.split_once(" passed, ")?;
    (rest == "0 failed").then_some(())?;
    passed.parse().ok()
}

#[test]
fn the_library_passes_its_own_sunit_tests() {
    let files = library_test_files();
    for stress in [false, true] {
        let out = smalt_test(&files, stress);
        let stdout = text(&out.stdout);
        assert!(
            out.status.success() && passed_count(&summary(&out)).is_some_and(|n| n > 0),
            "smalt test {} (gc stress: {stress}) exited with {:?}; its report:\n{stdout}\nstderr:\n{}",
            files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(" "),
            out.status.code(),
            text(&out.stderr)
        );
    }
}

#[test]
fn the_report_names_each_failure_error_and_skip_then_sums_up() {
    let file = PathBuf::from("tests/test_command/report.st");
    let expected = fs::read_to_string(root().join("tests/test_command/report.out")).expect("report.out exists");
    for stress in [false, true] {
        let out = smalt_test(std::slice::from_ref(&file), stress);
        assert_eq!(text(&out.stdout), expected, "stdout of smalt test {} (gc stress: {stress})", file.display());
        assert_eq!(text(&out.stderr), "", "stderr of smalt test {}", file.display());
        assert_eq!(out.status.code(), Some(1), "a failed test makes the exit status 1");
    }
}

#[test]
fn only_passed_and_skipped_tests_exit_with_status_zero() {
    let out = smalt_test(&[PathBuf::from("tests/test_command/passing.st")], false);
    assert_eq!(
        text(&out.stdout),
        "SKIP PassingTest>>testLater (tests/test_command/passing.st:5): skipped\n2 passed, 0 failed, 1 skipped\n"
    );
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
}

#[test]
fn tests_of_several_files_are_summed_up_in_one_line() {
    let files = [PathBuf::from("tests/test_command/passing.st"), PathBuf::from("tests/test_command/report.st")];
    let out = smalt_test(&files, false);
    assert_eq!(summary(&out), "7 passed, 7 failed, 2 skipped");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_file_that_does_not_compile_runs_no_tests() {
    let out = smalt_test(&[PathBuf::from("tests/test_command/broken.st")], false);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "");
    assert!(stderr.contains("tests/test_command/broken.st:3:33: expected an argument after '+'"), "stderr: {stderr}");
    assert!(stderr.contains("smalt test: tests/test_command/broken.st did not load, so no tests were run"));
}

#[test]
fn a_file_whose_statements_fail_runs_no_tests() {
    let out = smalt_test(&[PathBuf::from("tests/test_command/stops.st")], false);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "");
    assert!(stderr.starts_with("MessageNotUnderstood: Instance of UndefinedObject did not understand #foo\n"));
    assert!(stderr.contains("smalt test: tests/test_command/stops.st did not load, so no tests were run"));
}

#[test]
fn a_missing_file_is_named() {
    let out = smalt_test(&[PathBuf::from("tests/test_command/no-such-file.st")], false);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).starts_with("smalt test: cannot read tests/test_command/no-such-file.st: "));
}

#[test]
fn the_summary_line_is_read_as_the_issue_states_it() {
    assert_eq!(passed_count("12 passed, 0 failed"), Some(12));
    assert_eq!(passed_count("12 passed, 1 failed"), None);
    assert_eq!(passed_count("12 passed, 0 failed, 2 skipped"), None);
}
