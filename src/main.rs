//! The `smalt` command: a thin client of smalt-vm. It parses the command
//! line, boots a world, runs what it was asked to, and maps the outcome to an
//! exit status.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;

mod repl;

use clap::Parser;
use smalt_vm::{Halt, LoadError, Vm, VmOptions};

/// Exit status for a failure of the VM itself (sysexits' EX_SOFTWARE).
const EXIT_VM_FAILURE: u8 = 70;

#[derive(Parser, Debug)]
#[command(
    name = "smalt",
    version,
    about = "Smalt: a Smalltalk whose whole world lives in one object heap",
    after_help = "Examples:\n  smalt                       start the REPL (when standard input is a terminal)\n  smalt hello.st              run a program\n  smalt -e '3 + 4'            print the value of an expression\n  echo '3 printNl' | smalt    run a program read from standard input"
)]
struct Cli {
    /// Evaluate these statements and print the value of the last one.
    #[arg(short = 'e', long = "eval", value_name = "STATEMENTS", conflicts_with = "file")]
    eval: Option<String>,

    /// Deepest call chain before RecursionTooDeep is signalled.
    #[arg(long, value_name = "FRAMES", default_value_t = 1_000_000)]
    max_depth: usize,

    /// No banner when the REPL starts.
    #[arg(short = 'q', long = "quiet")]
    quiet: bool,

    /// A Smalltalk source file to run.
    #[arg(value_name = "FILE.st")]
    file: Option<PathBuf>,

    /// Arguments for the program (`Smalltalk arguments`).
    #[arg(value_name = "ARGS", trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let options = VmOptions { max_depth: cli.max_depth, arguments: cli.args.clone(), ..VmOptions::default() };
    let mut vm = match Vm::bootstrap(options) {
        Ok(vm) => vm,
        Err(e) => {
            eprintln!("smalt: the built-in world failed to load: {e}");
            return ExitCode::from(EXIT_VM_FAILURE);
        }
    };
    if cli.eval.is_none() && cli.file.is_none() && std::io::stdin().is_terminal() {
        return repl::run(vm, repl::ReplOptions { quiet: cli.quiet });
    }
    let outcome = if let Some(statements) = &cli.eval {
        run_eval(&mut vm, statements)
    } else if let Some(file) = &cli.file {
        run_file(&mut vm, file)
    } else {
        run_stdin(&mut vm)
    };
    vm.flush_stdout();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => report(e),
    }
}

fn run_eval(vm: &mut Vm, statements: &str) -> Result<(), LoadError> {
    let value = vm.evaluate(statements, "-e")?;
    let text = vm.print_string(value)?;
    vm.write_stdout(format!("{text}\n").as_bytes());
    Ok(())
}

fn run_file(vm: &mut Vm, file: &PathBuf) -> Result<(), LoadError> {
    let name = file.display().to_string();
    let source = match std::fs::read(file) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(_) => return Err(usage(format!("cannot run {name}: expected UTF-8 Smalltalk source, found other bytes"))),
        },
        Err(e) => return Err(usage(format!("cannot read {name}: {e}"))),
    };
    vm.file_in(&source, &name)
}

fn run_stdin(vm: &mut Vm) -> Result<(), LoadError> {
    let mut stdin = std::io::stdin();
    let mut source = String::new();
    if let Err(e) = stdin.read_to_string(&mut source) {
        return Err(usage(format!("cannot read standard input: expected UTF-8 Smalltalk source ({e})")));
    }
    vm.file_in(&source, "stdin")
}

/// A usage problem, reported like a definition error.
fn usage(message: String) -> LoadError {
    LoadError::Definition { file: "smalt".into(), line: 0, message }
}

fn report(e: LoadError) -> ExitCode {
    match e {
        LoadError::Halt(Halt::Unhandled) => ExitCode::from(1),
        LoadError::Halt(Halt::Exit(status)) => ExitCode::from(status as u8),
        LoadError::Halt(Halt::Interrupted) => ExitCode::from(130),
        LoadError::Halt(Halt::Vm(e)) => {
            eprintln!("smalt: {e}");
            ExitCode::from(EXIT_VM_FAILURE)
        }
        LoadError::Definition { file, line: 0, message } if file == "smalt" => {
            eprintln!("smalt: {message}");
            ExitCode::from(1)
        }
        other => {
            eprintln!("{other}");
            ExitCode::from(1)
        }
    }
}
