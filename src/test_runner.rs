//! `smalt test FILE.st...`: files the sources into a fresh world and runs
//! the SUnit TestCase classes they define. The running and the report are
//! Smalltalk (`CommandLineTestRunner` in stdlib/100-SUnit.st); this module
//! only loads the files and turns the number of failed tests into the exit
//! status.

use std::path::PathBuf;
use std::process::ExitCode;

use smalt_vm::{Halt, LoadError, Vm};

/// Exit status when a test failed or a file could not be loaded.
const EXIT_FAILED: u8 = 1;

/// Loads `files` into `vm` in order, runs their tests and reports on stdout.
/// The status is 0 only when every test passed or was skipped.
pub fn run(vm: &mut Vm, files: &[PathBuf]) -> ExitCode {
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    if let Err(e) = vm.evaluate("CommandLineTestRunner beforeLoading", "smalt test") {
        return stopped("the test runner could not start", e);
    }
    for (file, name) in files.iter().zip(&names) {
        let source = match std::fs::read(file) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => text,
                Err(_) => {
                    eprintln!("smalt test: cannot load {name}: expected UTF-8 Smalltalk source, found other bytes");
                    return ExitCode::from(EXIT_FAILED);
                }
            },
            Err(e) => {
                eprintln!("smalt test: cannot read {name}: {e}");
                return ExitCode::from(EXIT_FAILED);
            }
        };
        if let Err(e) = vm.file_in(&source, name) {
            return stopped(&format!("{name} did not load, so no tests were run"), e);
        }
    }
    let list = names.iter().map(|n| string_literal(n)).collect::<Vec<_>>().join(" ");
    let outcome = vm.evaluate(&format!("CommandLineTestRunner runTestsFrom: #({list})"), "smalt test");
    vm.flush_stdout();
    match outcome {
        Ok(failed) => match failed.to_small_integer() {
            Some(0) => ExitCode::SUCCESS,
            Some(_) => ExitCode::from(EXIT_FAILED),
            None => {
                eprintln!("smalt test: the test runner answered something other than a count of failed tests");
                ExitCode::from(EXIT_FAILED)
            }
        },
        Err(e) => stopped("the tests did not finish", e),
    }
}

/// A Smalltalk string literal holding `text`.
fn string_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// Reports why the run stopped early; the status says the tests did not pass.
fn stopped(what: &str, e: LoadError) -> ExitCode {
    match e {
        // The walkback is already on stderr.
        LoadError::Halt(Halt::Unhandled | Halt::Deadlock) => eprintln!("smalt test: {what}"),
        LoadError::Halt(Halt::Exit(status)) => {
            eprintln!("smalt test: {what}: the code asked to exit with status {status}");
            return ExitCode::from(if status == 0 { EXIT_FAILED } else { status as u8 });
        }
        LoadError::Halt(Halt::Interrupted) => {
            eprintln!("smalt test: interrupted");
            return ExitCode::from(crate::signals::EXIT_INTERRUPTED);
        }
        LoadError::Halt(Halt::Terminated) => {
            eprintln!("smalt test: terminated");
            return ExitCode::from(crate::signals::EXIT_TERMINATED);
        }
        other => eprintln!("{other}\nsmalt test: {what}"),
    }
    ExitCode::from(EXIT_FAILED)
}

#[cfg(test)]
mod tests {
    use super::string_literal;

    #[test]
    fn file_names_become_string_literals_with_quotes_doubled() {
        assert_eq!(string_literal("tests/a.st"), "'tests/a.st'");
        assert_eq!(string_literal("it's.st"), "'it''s.st'");
    }
}
