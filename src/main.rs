//! The `smalt` command: a thin client of smalt-vm. It parses the command
//! line, boots a world (the built-in one or an image), runs what it was
//! asked to, and maps the outcome to an exit status.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod bundle;
mod repl;
mod signals;
mod test_runner;

use clap::{Parser, Subcommand};
use smalt_vm::image::{self, ImageError};
use smalt_vm::{Halt, LoadError, Vm, VmOptions};

/// The world built from stdlib/ when smalt was compiled.
static BUILT_IN_WORLD: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/world.image"));

/// Exit status for a failure of the VM itself (sysexits' EX_SOFTWARE).
const EXIT_VM_FAILURE: u8 = 70;

#[derive(Parser, Debug)]
#[command(
    name = "smalt",
    version,
    about = "Smalt: a Smalltalk whose whole world lives in one object heap",
    args_conflicts_with_subcommands = true,
    after_help = "Examples:\n  smalt hello.st                   run a program\n  smalt                            start the REPL (when standard input is a terminal)\n  smalt -e '3 + 4'                 print the value of an expression\n  echo '3 printNl' | smalt         run a program read from standard input\n  smalt app.st --save app.image    run a program, then save the world\n  smalt app.image ARGS...          boot an image (resuming it if it was saved mid-program)\n  smalt -i base.image app.st --save-delta app.image\n                                   save only what changed over base.image\n  smalt image verify app.image     check an image file thoroughly\n  smalt bundle app.image -o app    make one executable that runs app.image\n  smalt test tests/*.st            run the SUnit tests those files define"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    /// Evaluate these statements and print the value of the last one.
    #[arg(short = 'e', long = "eval", value_name = "STATEMENTS", conflicts_with = "file")]
    eval: Option<String>,

    /// Boot this image instead of the built-in world.
    #[arg(short = 'i', long = "image", value_name = "IMAGE")]
    image: Option<PathBuf>,

    /// After running, save the world to this image file.
    #[arg(long = "save", value_name = "OUT.image", conflicts_with = "save_delta")]
    save: Option<PathBuf>,

    /// After running, save a delta image: only what changed since the base image was booted.
    #[arg(long = "save-delta", value_name = "OUT.image")]
    save_delta: Option<PathBuf>,

    /// Deepest call chain before RecursionTooDeep is signalled.
    #[arg(long, global = true, value_name = "FRAMES", default_value_t = 1_000_000)]
    max_depth: usize,

    /// The most memory the heap may use (e.g. 512M, 2G; 16M to 32G).
    /// Near it OutOfMemory is signalled, while there is room to handle it.
    #[arg(long, global = true, value_name = "SIZE", value_parser = parse_size, default_value = "4G")]
    max_heap: usize,

    /// No banner when the REPL starts.
    #[arg(short = 'q', long = "quiet")]
    quiet: bool,

    /// A Smalltalk source file to run, or an image to boot.
    #[arg(value_name = "FILE")]
    file: Option<PathBuf>,

    /// Arguments for the program (`Smalltalk arguments`).
    #[arg(value_name = "ARGS", trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Inspect image files without running them.
    Image {
        #[command(subcommand)]
        action: ImageCommand,
    },
    /// Load source files and run the SUnit tests they define; exit 0 only if none failed.
    Test {
        /// The source files, loaded in order.
        #[arg(value_name = "FILE.st", required = true)]
        files: Vec<PathBuf>,
    },
    /// Write one executable that runs an image: this VM with the image appended.
    Bundle {
        /// The image the application runs.
        image: PathBuf,
        /// Where to write the executable.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: PathBuf,
    },
    /// Build the world from the class library (cold bootstrap) and save it.
    BuildWorld {
        /// Where to write the image.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
enum ImageCommand {
    /// Check every checksum and walk the whole heap; report the first problem.
    Verify { file: PathBuf },
    /// Print the header's facts.
    Info { file: PathBuf },
}

fn main() -> ExitCode {
    // An executable made by `smalt bundle` runs its image, with every
    // argument for the program.
    if let Some(app) = bundle::find_in_current_exe() {
        return run_bundled(&app);
    }
    let cli = Cli::parse();
    match &cli.command {
        Some(Command::Bundle { image, output }) => return make_bundle(image, output),
        Some(Command::Image { action: ImageCommand::Verify { file } }) => return verify(file),
        Some(Command::Image { action: ImageCommand::Info { file } }) => return info(file),
        Some(Command::BuildWorld { output }) => return build_world(output),
        Some(Command::Test { files }) => return run_tests(files, vm_options(&cli)),
        None => {}
    }
    let options = VmOptions { arguments: cli.args.clone(), ..vm_options(&cli) };

    // A FILE that is an image is booted, as with -i.
    let (image_path, program) = match (&cli.image, &cli.file) {
        (Some(image), file) => (Some(image.clone()), file.clone()),
        (None, Some(file)) if is_image_file(file) => (Some(file.clone()), None),
        (None, file) => (None, file.clone()),
    };
    let booted = match &image_path {
        Some(path) => Vm::boot_image(path, options),
        None => Vm::boot_image_bytes(BUILT_IN_WORLD, "the built-in world", options),
    };
    let mut vm = match started(booted) {
        Ok(vm) => vm,
        Err(status) => return status,
    };
    // An image saved mid-program goes on with that program; otherwise the
    // command line says what to run, and a terminal with nothing to run
    // gets the REPL.
    let outcome = match vm.resume() {
        Ok(true) => Ok(()),
        Ok(false) if cli.eval.is_none() && program.is_none() && std::io::stdin().is_terminal() => {
            return repl::run(vm, repl::ReplOptions { quiet: cli.quiet, image: image_path });
        }
        Ok(false) => run(&mut vm, &cli, program.as_deref()),
        Err(e) => Err(e),
    };
    let outcome = run_on(&mut vm, outcome);
    let outcome = outcome.and_then(|()| match (&cli.save, &cli.save_delta) {
        (Some(out), _) => vm.save_world(out, true),
        (None, Some(out)) => vm.save_world_delta(out, true),
        (None, None) => Ok(()),
    });
    finish(&mut vm, outcome)
}

/// The exit status for how a program ended; after SIGTERM the shut-down
/// list runs first.
fn finish(vm: &mut Vm, outcome: Result<(), LoadError>) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(LoadError::Halt(Halt::Terminated)) => {
            if let Err(e) = vm.shut_down() {
                eprintln!("smalt: the shut-down list failed: {e}");
            }
            ExitCode::from(signals::EXIT_TERMINATED)
        }
        Err(e) => report(e),
    }
}

/// Runs the image appended to this executable as `smalt IMAGE ARGS...`
/// would: the arguments, all of them, are the program's.
fn run_bundled(app: &bundle::Bundled) -> ExitCode {
    let arguments = std::env::args_os().skip(1).map(|a| a.to_string_lossy().into_owned()).collect();
    let options = VmOptions { arguments, ..VmOptions::default() };
    let mut vm = match started(Vm::boot_image_at(&app.executable, app.offset, Some(app.len), options)) {
        Ok(vm) => vm,
        Err(status) => return status,
    };
    let outcome = match vm.resume() {
        Ok(true) => Ok(()),
        Ok(false) if std::io::stdin().is_terminal() => {
            return repl::run(vm, repl::ReplOptions { quiet: false, image: None });
        }
        Ok(false) => run_stdin(&mut vm),
        Err(e) => Err(e),
    };
    let outcome = run_on(&mut vm, outcome);
    finish(&mut vm, outcome)
}

/// A booted VM, answering SIGINT and SIGTERM; or the exit status after
/// reporting why it could not boot.
fn started(booted: Result<Vm, ImageError>) -> Result<Vm, ExitCode> {
    match booted {
        Ok(vm) => {
            signals::install(&vm);
            Ok(vm)
        }
        Err(e) => {
            eprintln!("smalt: {e}");
            Err(ExitCode::from(1))
        }
    }
}

/// After the program: the processes it left ready, or waiting on a timer,
/// run on; then stdout is flushed.
fn run_on(vm: &mut Vm, outcome: Result<(), LoadError>) -> Result<(), LoadError> {
    let outcome = outcome.and_then(|()| vm.run_other_processes().map_err(LoadError::from));
    vm.flush_stdout();
    outcome
}

fn make_bundle(image: &Path, output: &Path) -> ExitCode {
    match bundle::bundle(image, output) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("smalt: {message}");
            ExitCode::from(1)
        }
    }
}

fn run(vm: &mut Vm, cli: &Cli, program: Option<&Path>) -> Result<(), LoadError> {
    if let Some(statements) = &cli.eval {
        run_eval(vm, statements)
    } else if let Some(file) = program {
        run_file(vm, file)
    } else {
        run_stdin(vm)
    }
}

/// Whether FILE is to be booted rather than run as source: it starts with
/// the image magic, or its name ends in `.image` (so that a damaged image
/// is reported as one, not run as a program).
fn is_image_file(path: &Path) -> bool {
    if path.extension().is_some_and(|e| e == "image") {
        return true;
    }
    let mut start = [0u8; 8];
    std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut start)).is_ok() && image::has_image_magic(&start)
}

fn run_eval(vm: &mut Vm, statements: &str) -> Result<(), LoadError> {
    let value = vm.evaluate(statements, "-e")?;
    let text = vm.print_string(value)?;
    vm.write_stdout(format!("{text}\n").as_bytes());
    Ok(())
}

fn run_file(vm: &mut Vm, file: &Path) -> Result<(), LoadError> {
    let name = file.display().to_string();
    let source = match std::fs::read(file) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(_) => {
                return Err(usage(format!("cannot run {name}: expected UTF-8 Smalltalk source, found other bytes")))
            }
        },
        Err(e) => return Err(usage(format!("cannot read {name}: {e}"))),
    };
    vm.run_program(&source, &name)
}

fn run_stdin(vm: &mut Vm) -> Result<(), LoadError> {
    let mut stdin = std::io::stdin();
    let mut source = String::new();
    if let Err(e) = stdin.read_to_string(&mut source) {
        return Err(usage(format!("cannot read standard input: expected UTF-8 Smalltalk source ({e})")));
    }
    vm.run_program(&source, "stdin")
}

fn verify(file: &Path) -> ExitCode {
    match image::verify::verify_image(file) {
        Ok(report) => {
            let over = match &report.delta {
                Some((table, base)) => format!(" as {} changed pages over base {}", table.pages.len(), base.display()),
                None => String::new(),
            };
            println!(
                "{}: ok ({} objects, {} bytes of heap{over}, every checksum and reference checked)",
                file.display(),
                report.objects,
                report.header.heap_bytes
            );
            ExitCode::SUCCESS
        }
        Err(e) => image_failure(e),
    }
}

fn info(file: &Path) -> ExitCode {
    let shown = file.display().to_string();
    let bytes = match std::fs::read(file) {
        Ok(b) => b,
        Err(e) => return image_failure(ImageError::Io { path: shown, error: e.to_string() }),
    };
    match image::ImageHeader::decode(&bytes, bytes.len() as u64, &shown) {
        Ok(h) => {
            println!("image:            {shown}");
            println!("format version:   {}", h.version);
            println!("kind:             {}", if h.is_delta() { "delta" } else { "full" });
            println!("VM identity:      {:016x}", h.vm_identity);
            println!("heap bytes:       {}", h.heap_bytes);
            println!("heap offset:      {}", h.heap_offset);
            println!("heap checksum:    {:08x}", h.heap_checksum);
            println!("special objects:  {:#x}", h.special_objects);
            println!("saved at:         {} (seconds since 1970)", h.saved_at);
            if h.is_delta() {
                match image::delta::DeltaTable::decode(&bytes, &h, bytes.len() as u64, &shown) {
                    Ok(table) => {
                        println!("base image:       {}", table.base_path.display());
                        println!("base identity:    {}", image::delta::describe_identity(&h.base_identity));
                        println!("page size:        {}", table.page_size);
                        println!("changed pages:    {}", table.pages.len());
                    }
                    Err(e) => return image_failure(e),
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => image_failure(e),
    }
}

fn run_tests(files: &[PathBuf], options: VmOptions) -> ExitCode {
    match Vm::boot_image_bytes(BUILT_IN_WORLD, "the built-in world", options) {
        Ok(mut vm) => {
            signals::install(&vm);
            test_runner::run(&mut vm, files)
        }
        Err(e) => image_failure(e),
    }
}

fn build_world(output: &Path) -> ExitCode {
    let options = VmOptions::default();
    let mut vm = match Vm::bootstrap(options) {
        Ok(vm) => vm,
        Err(e) => {
            eprintln!("smalt: the class library failed to load: {e}");
            return ExitCode::from(1);
        }
    };
    match vm.save_image(output, false) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => image_failure(e),
    }
}

fn image_failure(e: ImageError) -> ExitCode {
    eprintln!("smalt: {e}");
    ExitCode::from(1)
}

/// The settings the command line gives every VM it starts.
fn vm_options(cli: &Cli) -> VmOptions {
    let mut options = VmOptions { max_depth: cli.max_depth, ..VmOptions::default() };
    options.heap.max_heap = cli.max_heap;
    // A small heap gets a small nursery, leaving most of it to old space.
    options.heap.eden_bytes = options.heap.eden_bytes.min(cli.max_heap / 16);
    options
}

/// `--max-heap`: bytes, or a number with K, M or G (powers of 1024).
fn parse_size(text: &str) -> Result<usize, String> {
    let digits = text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = &text[digits.len()..];
    let scale: usize = match unit.to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KB" | "KIB" => 1 << 10,
        "M" | "MB" | "MIB" => 1 << 20,
        "G" | "GB" | "GIB" => 1 << 30,
        _ => return Err(format!("expected a size such as 512M or 2G, found {text:?}")),
    };
    let n: usize = digits.parse().map_err(|_| format!("expected a size such as 512M or 2G, found {text:?}"))?;
    let bytes = n.checked_mul(scale).ok_or_else(|| format!("{text} is too big"))?;
    if bytes < MIN_HEAP {
        return Err(format!("the heap needs at least 16M, not {text}"));
    }
    if bytes > smalt_vm::heap::MAX_HEAP {
        return Err(format!("the heap can be at most 32G, not {text}"));
    }
    Ok(bytes)
}

/// The smallest `--max-heap`.
const MIN_HEAP: usize = 16 << 20;

/// A usage problem, reported like a definition error.
fn usage(message: String) -> LoadError {
    LoadError::Definition { file: "smalt".into(), line: 0, message }
}

fn report(e: LoadError) -> ExitCode {
    match e {
        LoadError::Halt(Halt::Unhandled | Halt::Deadlock) => ExitCode::from(1),
        LoadError::Halt(Halt::Exit(status)) => ExitCode::from(status as u8),
        LoadError::Halt(Halt::Interrupted) => ExitCode::from(signals::EXIT_INTERRUPTED),
        LoadError::Halt(Halt::Terminated) => ExitCode::from(signals::EXIT_TERMINATED),
        LoadError::Halt(Halt::Vm(e)) => {
            eprintln!("smalt: {e}");
            ExitCode::from(EXIT_VM_FAILURE)
        }
        LoadError::Image(e) => {
            eprintln!("smalt: {e}");
            ExitCode::from(1)
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
