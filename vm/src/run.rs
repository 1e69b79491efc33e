//! Running source: filing in a file's items (class definitions, extensions,
//! statements) in order, evaluating statements, and sending messages from
//! Rust. This is the facade the CLI and the REPL use.

use std::fmt;

use smalt_compiler::bytecode::Instruction;
use smalt_compiler::{
    ClassDefinition, CompiledCode, Diagnostic, DoIt, Extension, Item, MethodSource, MethodSyntax, Origin, Shape,
    SourceText,
};

use crate::heap::{Format, Oop};
use crate::install::{BindingScope, ClassSpec, SourceSyntax};
use crate::interp::{Halt, Vm};
use crate::objects::layout::{association, class, code, context, special, KnownClass};

/// Why loading or evaluating source stopped.
#[derive(Debug, Clone, PartialEq)]
pub enum LoadError {
    /// The text does not compile.
    Syntax(Vec<Diagnostic>),
    /// A class definition or extension cannot be carried out.
    Definition { file: String, line: u32, message: String },
    /// The code ran and stopped: an unhandled error, an exit, a VM failure.
    Halt(Halt),
    /// An image could not be saved (the message names the path and the OS error).
    Image(crate::image::ImageError),
}

impl From<crate::image::ImageError> for LoadError {
    fn from(e: crate::image::ImageError) -> LoadError {
        LoadError::Image(e)
    }
}

impl From<Halt> for LoadError {
    fn from(h: Halt) -> LoadError {
        LoadError::Halt(h)
    }
}

impl From<crate::VmError> for LoadError {
    fn from(e: crate::VmError) -> LoadError {
        LoadError::Halt(Halt::Vm(e))
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Syntax(diagnostics) => {
                for (i, d) in diagnostics.iter().enumerate() {
                    if i > 0 {
                        writeln!(f)?;
                    }
                    write!(f, "{d}")?;
                }
                Ok(())
            }
            LoadError::Definition { file, line, message } => write!(f, "{file}:{line}: {message}"),
            LoadError::Halt(Halt::Unhandled) => write!(f, "stopped by an unhandled exception"),
            LoadError::Halt(Halt::Exit(status)) => write!(f, "exited with status {status}"),
            LoadError::Halt(Halt::Vm(e)) => write!(f, "{e}"),
            LoadError::Halt(Halt::Interrupted) => write!(f, "interrupted"),
            LoadError::Halt(Halt::Deadlock) => write!(f, "deadlock: every process waits"),
            LoadError::Halt(Halt::Terminated) => write!(f, "terminated (SIGTERM)"),
            LoadError::Image(e) => write!(f, "{e}"),
        }
    }
}

/// The slot of a method's properties that holds the first line of its
/// source in its file (see `install::code_properties`).
const METHOD_FIRST_LINE: usize = 4;

/// What a save writes: the whole old space, or the pages changed over a base.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ImageKind {
    Full,
    Delta,
}

/// The items of a source file, in either of the forms Smalt reads: chunk
/// format as Smalltalks file code out (`!Foo methodsFor: 'x'!` ... `! !`),
/// or the bracket syntax.
fn parse_source(source: &str, file: &str) -> Result<Vec<Item>, LoadError> {
    let origin = Origin { name: file.to_string(), first_line: 1, first_column: 1 };
    let parsed = if smalt_compiler::is_chunk_format(source) {
        smalt_compiler::parse_chunk_file(source, &origin)
    } else {
        smalt_compiler::parse_file(source, &origin)
    };
    parsed.map_err(LoadError::Syntax)
}

impl Vm {
    /// Compiles and runs every item of a source file in order.
    ///
    /// # GC
    /// Runs Smalltalk code, so collects.
    pub fn file_in(&mut self, source: &str, file: &str) -> Result<(), LoadError> {
        for item in parse_source(source, file)? {
            self.run_item(item, file)?;
        }
        self.flush_stdout();
        Ok(())
    }

    /// Runs a program file: as [`Vm::file_in`], but the file's text and the
    /// position in it are kept in the world, so that an image saved by one of
    /// its statements goes on with the statements after it when booted.
    ///
    /// # GC
    /// Runs Smalltalk code, so collects.
    pub fn run_program(&mut self, source: &str, file: &str) -> Result<(), LoadError> {
        let source_oop = self.mem.new_string(source)?;
        let file_oop = self.mem.new_string(file)?;
        let program = self.mem.new_array_from(&[source_oop, file_oop, Oop::small_integer(0)])?;
        self.mem.set_special_object(special::PROGRAM, program);
        let result = self.run_program_from(source, file, 0);
        let nil = self.mem.nil();
        self.mem.set_special_object(special::PROGRAM, nil);
        result
    }

    fn run_program_from(&mut self, source: &str, file: &str, first: usize) -> Result<(), LoadError> {
        for (i, item) in parse_source(source, file)?.into_iter().enumerate().skip(first) {
            let program = self.mem.special_object(special::PROGRAM);
            self.mem.heap.store(program, 2, Oop::small_integer(i as i64 + 1));
            self.run_item(item, file)?;
        }
        self.flush_stdout();
        Ok(())
    }

    /// Goes on where a booted image was saved: the saving process resumes
    /// (`saveImage:` answering true), then the rest of the program file it
    /// was running, if any. Answers whether there was anything to resume.
    ///
    /// # GC
    /// Runs Smalltalk code, so collects.
    pub fn resume(&mut self) -> Result<bool, LoadError> {
        let nil = self.mem.nil();
        self.timers_from_heap();
        let ctx = self.mem.special_object(special::ACTIVE_CONTEXT);
        let resumed = ctx != nil;
        // The start-up list first; the saved process waits in the special
        // objects, where the collector keeps it (and updates it).
        let smalltalk = self.mem.special_object(special::SMALLTALK);
        let true_object = self.mem.true_object();
        self.send_message(smalltalk, "processStartUp:", &[true_object])?;
        let ctx = self.mem.special_object(special::ACTIVE_CONTEXT);
        if resumed {
            self.mem.set_special_object(special::ACTIVE_CONTEXT, nil);
            self.load_context(ctx);
            self.recount_depth();
            self.depth_limit = self.options.max_depth;
            // The process that saved goes on; the evaluation it belongs to
            // is the main process's, which may be another.
            let main = self.main_process();
            self.owners.push(main);
            let result = self.interpret();
            self.owners.pop();
            self.ctx = nil;
            self.depth = 0;
            if let Err(halt) = result {
                self.recover_main_process();
                self.mem.set_special_object(special::PROGRAM, nil);
                return Err(halt.into());
            }
        }
        let program = self.mem.special_object(special::PROGRAM);
        if program == nil {
            return Ok(resumed);
        }
        let source = self.mem.string_value(self.mem.heap.fetch(program, 0)).unwrap_or_default();
        let file = self.mem.string_value(self.mem.heap.fetch(program, 1)).unwrap_or_default();
        let next = self.mem.heap.fetch(program, 2).to_small_integer().unwrap_or(0).max(0) as usize;
        let result = self.run_program_from(&source, &file, next);
        self.mem.set_special_object(special::PROGRAM, nil);
        result.map(|()| true)
    }

    /// Saves the world at top level, as `--save` and the REPL's `:save` do:
    /// the shut-down list is told first (`quitting` says whether the
    /// process ends after the save), and unless quitting the start-up list
    /// after, as for `Smalltalk saveImage:`. Booting the image starts at top
    /// level.
    ///
    /// # GC
    /// Runs Smalltalk code and a full collection.
    pub fn save_world(&mut self, path: &std::path::Path, quitting: bool) -> Result<(), LoadError> {
        self.save_world_as(path, quitting, ImageKind::Full)
    }

    /// As [`Vm::save_world`], but saves a delta image over the base image
    /// this world was booted from (`--save-delta`).
    ///
    /// # GC
    /// Runs Smalltalk code and a full collection.
    pub fn save_world_delta(&mut self, path: &std::path::Path, quitting: bool) -> Result<(), LoadError> {
        self.save_world_as(path, quitting, ImageKind::Delta)
    }

    fn save_world_as(&mut self, path: &std::path::Path, quitting: bool, kind: ImageKind) -> Result<(), LoadError> {
        let smalltalk = self.mem.special_object(special::SMALLTALK);
        let flag = if quitting { self.mem.true_object() } else { self.mem.false_object() };
        self.send_message(smalltalk, "processShutDown:", &[flag])?;
        let saved = self.save_image_of_kind(path, false, kind);
        if !quitting {
            let smalltalk = self.mem.special_object(special::SMALLTALK);
            let false_object = self.mem.false_object();
            self.send_message(smalltalk, "processStartUp:", &[false_object])?;
        }
        saved.map_err(LoadError::Image)
    }

    /// Writes the world as a full or a delta image, with the timers that
    /// are pending (`resume`: with the running process, as
    /// [`Vm::save_image`] says).
    ///
    /// # GC
    /// A full collection.
    pub(crate) fn save_image_of_kind(
        &mut self,
        path: &std::path::Path,
        resume: bool,
        kind: ImageKind,
    ) -> Result<(), crate::image::ImageError> {
        self.timers_to_heap()
            .map_err(|e| crate::image::ImageError::Save { path: path.display().to_string(), error: e.to_string() })?;
        let saved = match kind {
            ImageKind::Full => self.save_image(path, resume),
            ImageKind::Delta => self.save_delta(path, resume),
        };
        self.mem.set_special_object(special::TIMERS, self.mem.nil());
        saved
    }

    /// Tells the shut-down list that the program is ending, as after
    /// SIGTERM.
    ///
    /// # GC
    /// Runs Smalltalk code, so collects.
    pub fn shut_down(&mut self) -> Result<(), LoadError> {
        let smalltalk = self.mem.special_object(special::SMALLTALK);
        let true_object = self.mem.true_object();
        self.send_message(smalltalk, "processShutDown:", &[true_object])?;
        self.flush_stdout();
        Ok(())
    }

    /// Runs source as the REPL reads it: statements and class definitions in
    /// order; answers the value of the last statement, if the last item was
    /// statements.
    ///
    /// # GC
    /// Runs Smalltalk code, so collects.
    pub fn run_source(&mut self, source: &str, label: &str) -> Result<Option<Oop>, LoadError> {
        let origin = Origin { name: label.to_string(), first_line: 1, first_column: 1 };
        let items = smalt_compiler::parse_file(source, &origin).map_err(LoadError::Syntax)?;
        let mut last = None;
        for item in items {
            last = match item {
                Item::DoIt(doit) => Some(self.run_doit(&doit, label)?),
                other => {
                    self.run_item(other, label)?;
                    None
                }
            };
        }
        self.flush_stdout();
        Ok(last)
    }

    /// `Smalltalk fileIn:` from running code: the evaluation in progress is
    /// suspended while the file's items run.
    pub(crate) fn file_in_nested(&mut self, source: &str, file: &str) -> Result<(), Halt> {
        match self.file_in(source, file) {
            Ok(()) => Ok(()),
            Err(LoadError::Halt(h)) => Err(h),
            Err(other) => {
                let message = format!("{other}\n");
                self.write_stderr(message.as_bytes());
                Err(Halt::Unhandled)
            }
        }
    }

    fn run_item(&mut self, item: Item, file: &str) -> Result<(), LoadError> {
        match item {
            Item::DoIt(doit) => {
                self.run_doit(&doit, file)?;
            }
            Item::ClassDefinition(def) => self.load_class_definition(&def, file)?,
            Item::Extension(ext) => self.load_extension(&ext, file)?,
        }
        Ok(())
    }

    /// Runs compiled top-level statements, answering the last value.
    pub fn run_doit(&mut self, doit: &DoIt, file: &str) -> Result<Oop, LoadError> {
        self.mem.declare_workspace_variables(&doit.declared)?;
        let nil = self.mem.nil();
        let method = self.mem.install_code(&doit.code, nil, BindingScope::Workspace, SourceSyntax::DoIt, file)?;
        Ok(self.run_method(method, nil, &[])?)
    }

    /// Compiles and runs statements, answering the value of the last one.
    pub fn evaluate(&mut self, source: &str, label: &str) -> Result<Oop, LoadError> {
        let text = SourceText {
            text: source.to_string(),
            origin: Origin { name: label.into(), first_line: 1, first_column: 1 },
        };
        let doit = smalt_compiler::compile_doit(&text, &Default::default()).map_err(LoadError::Syntax)?;
        self.run_doit(&doit, label)
    }

    /// The printString of an object, by sending it `printString`.
    pub fn print_string(&mut self, oop: Oop) -> Result<String, Halt> {
        let result = self.send_message(oop, "printString", &[])?;
        Ok(self.mem.string_value(result).unwrap_or_else(|| "a non-String printString".to_string()))
    }

    /// Sends a message from Rust and runs until it answers.
    ///
    /// # GC
    /// Runs Smalltalk code: `receiver` and `args` are rooted in the new
    /// context; other Oops held by the caller are stale afterwards.
    pub fn send_message(&mut self, receiver: Oop, selector: &str, args: &[Oop]) -> Result<Oop, Halt> {
        let mut code = Vec::new();
        Instruction::PushReceiver.encode(&mut code);
        for i in 0..args.len() {
            Instruction::PushTemp(i as u16).encode(&mut code);
        }
        Instruction::Send { literal: 0, argc: args.len() as u8 }.encode(&mut code);
        Instruction::ReturnTop.encode(&mut code);
        let desc = CompiledCode {
            selector: "DoIt".into(),
            is_block: false,
            num_args: args.len() as u8,
            num_copied: 0,
            num_temps: args.len() as u16,
            max_stack: args.len() as u16 + 1,
            primitive: 0,
            literals: vec![smalt_compiler::Literal::Symbol(selector.to_string())],
            bytecodes: code,
            lines: Vec::new(),
            source: String::new(),
            pragmas: Vec::new(),
        };
        let nil = self.mem.nil();
        let method = self.mem.install_code(&desc, nil, BindingScope::Workspace, SourceSyntax::DoIt, "")?;
        self.run_method(method, receiver, args)
    }

    /// Runs `method` as the bottom context of a new evaluation, suspending
    /// any evaluation in progress until it ends.
    ///
    /// # GC
    /// Collects at safe points.
    pub(crate) fn run_method(&mut self, method: Oop, receiver: Oop, args: &[Oop]) -> Result<Oop, Halt> {
        let nil = self.mem.nil();
        let outer_depth = self.depth;
        let outer = self.ctx != nil;
        if outer {
            self.save_registers();
            self.suspended.push(self.ctx);
        }
        let header = self.code_header(method);
        let num_temps = code::num_temps(header);
        let frame = num_temps + code::max_stack(header);
        let ctx = self.mem.allocate(KnownClass::Context, Format::FixedIndexable, context::FIRST_TEMP + frame)?;
        for (i, a) in args.iter().enumerate() {
            self.mem.heap.store(ctx, context::FIRST_TEMP + i, *a);
        }
        let heap = &mut self.mem.heap;
        heap.store(ctx, context::PC, Oop::small_integer(0));
        heap.store(ctx, context::STACKP, Oop::small_integer(num_temps as i64));
        heap.store(ctx, context::METHOD, method);
        heap.store(ctx, context::RECEIVER, receiver);
        self.load_context(ctx);
        self.depth = 1;
        self.depth_limit = self.options.max_depth;
        let owner = self.active_process();
        self.owners.push(owner);
        let result = self.interpret();
        self.owners.pop();
        if result.is_err() && !outer {
            self.recover_main_process();
        }
        if outer {
            let c = self.suspended.pop().unwrap_or(nil);
            self.load_context(c);
            self.depth = outer_depth;
        } else {
            self.ctx = nil;
            self.depth = 0;
        }
        result
    }

    /// Compiles `source` as a method of `cls` and installs it; answers the
    /// selector, or the compile errors as text.
    pub(crate) fn compile_and_install(
        &mut self,
        cls: Oop,
        source: &str,
        syntax: MethodSyntax,
        file: &str,
        category: Option<&str>,
    ) -> Result<Oop, String> {
        let text = SourceText {
            text: source.to_string(),
            origin: Origin { name: file.into(), first_line: 1, first_column: 1 },
        };
        self.compile_source_into(cls, &text, syntax, category).map_err(|e| e.to_string())
    }

    fn compile_source_into(
        &mut self,
        cls: Oop,
        text: &SourceText,
        syntax: MethodSyntax,
        category: Option<&str>,
    ) -> Result<Oop, LoadError> {
        let scope = self.mem.class_scope(cls);
        let desc = smalt_compiler::compile_method(text, syntax, &scope).map_err(LoadError::Syntax)?;
        let instance_side = if self.mem.is_metaclass(cls) { self.mem.heap.fetch(cls, class::THIS_CLASS) } else { cls };
        let stored_syntax = match syntax {
            MethodSyntax::Bracket => SourceSyntax::Bracket,
            MethodSyntax::Classic => SourceSyntax::Classic,
        };
        let method =
            self.mem.install_code(&desc, cls, BindingScope::Class(instance_side), stored_syntax, &text.origin.name)?;
        // A category given from outside (`methodsFor:`, `compile:classified:`)
        // wins over none; the method's own pragma, read by install_code,
        // wins over that.
        let properties = self.mem.heap.fetch(method, code::PROPERTIES);
        if self.mem.heap.num_slots(properties) > METHOD_FIRST_LINE {
            let first_line = Oop::small_integer(i64::from(text.origin.first_line));
            self.mem.heap.store(properties, METHOD_FIRST_LINE, first_line);
        }
        if let Some(category) = category {
            if self.mem.heap.fetch(properties, 0) == self.mem.nil() {
                let name = self.mem.new_string(category)?;
                self.mem.heap.store(properties, 0, name);
            }
        }
        self.mem.add_method(cls, method)?;
        self.cache.invalidate();
        Ok(self.mem.heap.fetch(method, code::SELECTOR))
    }

    /// Defines a class and carries out what redefinition asks for:
    /// migrating instances and recompiling the methods of reshaped classes.
    pub(crate) fn define_class_and_settle(&mut self, spec: &ClassSpec) -> Result<Oop, String> {
        let cls = self.mem.define_class(spec).map_err(|e| e.0)?;
        let name = self.mem.intern(&spec.name).map_err(|e| e.to_string())?;
        self.apply_pending_forwards();
        // The class may have moved: find it again by name.
        let smalltalk = self.mem.special_object(crate::objects::layout::special::SMALLTALK);
        let cls = self
            .mem
            .dictionary_binding(smalltalk, name)
            .map(|b| self.mem.heap.fetch(b, association::VALUE))
            .unwrap_or(cls);
        let reshaped = std::mem::take(&mut self.mem.reshaped_classes);
        for c in reshaped {
            self.recompile_class(c).map_err(|e| e.to_string())?;
            let meta = self.mem.class_of(c);
            self.recompile_class(meta).map_err(|e| e.to_string())?;
        }
        self.cache.invalidate();
        Ok(cls)
    }

    /// Recompiles every method of a class from its stored source.
    fn recompile_class(&mut self, cls: Oop) -> Result<(), LoadError> {
        let md = self.mem.heap.fetch(cls, class::METHOD_DICT);
        for (_, method) in self.mem.method_dict_pairs(md) {
            let source = self.mem.heap.fetch(method, code::SOURCE);
            let Some(text) = self.mem.string_value(source) else { continue };
            let props = self.mem.heap.fetch(method, code::PROPERTIES);
            let slots = if props == self.mem.nil() { 0 } else { self.mem.heap.num_slots(props) };
            let (file, syntax, category) = if slots >= 4 {
                let category = self.mem.string_value(self.mem.heap.fetch(props, 0));
                let file = self.mem.string_value(self.mem.heap.fetch(props, 1)).unwrap_or_default();
                let syntax = self.mem.string_value(self.mem.heap.fetch(props, 3)).unwrap_or_default();
                (file, if syntax == "classic" { MethodSyntax::Classic } else { MethodSyntax::Bracket }, category)
            } else {
                (String::new(), MethodSyntax::Bracket, None)
            };
            // Where the source began in its file, so that walkbacks of the
            // recompiled method still name the right lines.
            let first_line = if slots > METHOD_FIRST_LINE {
                self.mem.heap.fetch(props, METHOD_FIRST_LINE).to_small_integer().map_or(1, |n| n.max(1) as u32)
            } else {
                1
            };
            let st = SourceText { text, origin: Origin { name: file, first_line, first_column: 1 } };
            self.compile_source_into(cls, &st, syntax, category.as_deref())?;
        }
        Ok(())
    }

    /// The class bound to `name` in Smalltalk, if any.
    fn global_class(&mut self, name: &str) -> Option<Oop> {
        let symbol = self.mem.lookup_symbol(name)?;
        let smalltalk = self.mem.special_object(crate::objects::layout::special::SMALLTALK);
        let binding = self.mem.dictionary_binding(smalltalk, symbol)?;
        let value = self.mem.heap.fetch(binding, association::VALUE);
        self.mem.is_behavior(value).then_some(value)
    }

    fn load_class_definition(&mut self, def: &ClassDefinition, file: &str) -> Result<(), LoadError> {
        let line = def.methods.first().map_or(0, |m| m.source.origin.first_line);
        let definition_error = |message: String| LoadError::Definition { file: file.to_string(), line, message };
        let superclass = if def.superclass == "nil" {
            self.mem.nil()
        } else {
            self.global_class(&def.superclass).ok_or_else(|| {
                definition_error(format!(
                    "cannot define {}: its superclass {} is not a defined class",
                    def.name, def.superclass
                ))
            })?
        };
        let spec = ClassSpec {
            name: def.name.clone(),
            superclass,
            shape: def.shape,
            instance_variables: def.instance_variables.clone(),
            class_variables: def.class_variables.iter().map(|v| v.name.clone()).collect(),
            class_instance_variables: Some(def.class_instance_variables.clone()),
            category: def.category.clone(),
            comment: def.comment.clone(),
        };
        let cls = self.define_class_and_settle(&spec).map_err(definition_error)?;
        for var in &def.class_variables {
            if let Some(init) = &var.initializer {
                let doit = smalt_compiler::compile_doit(init, &Default::default()).map_err(LoadError::Syntax)?;
                let method =
                    self.mem.install_code(&doit.code, cls, BindingScope::Class(cls), SourceSyntax::DoIt, file)?;
                let value = self.run_method(method, cls, &[])?;
                let cls = self.global_class(&def.name).unwrap_or(cls);
                let binding = self.mem.declare_class_variable(cls, &var.name)?;
                self.mem.heap.store(binding, association::VALUE, value);
            }
        }
        let cls = self.global_class(&def.name).unwrap_or(cls);
        self.install_methods(cls, &def.methods)
    }

    fn load_extension(&mut self, ext: &Extension, file: &str) -> Result<(), LoadError> {
        let line = ext.methods.first().map_or(0, |m| m.source.origin.first_line);
        let definition_error = |message: String| LoadError::Definition { file: file.to_string(), line, message };
        let cls = self
            .global_class(&ext.class_name)
            .ok_or_else(|| definition_error(format!("cannot extend {}: it is not a defined class", ext.class_name)))?;
        if !ext.instance_variables.is_empty() {
            let target = if ext.class_side { self.mem.class_of(cls) } else { cls };
            let existing = self.mem.instance_variable_names(target);
            let superclass = self.mem.superclass_of(cls);
            let inherited =
                if superclass == self.mem.nil() { 0 } else { self.mem.instance_variable_names(superclass).len() };
            if ext.class_side {
                let meta = self.mem.class_of(cls);
                let meta_super_count = self.mem.instance_variable_names(self.mem.superclass_of(meta)).len();
                let mut own: Vec<String> = existing.iter().skip(meta_super_count).cloned().collect();
                own.extend(ext.instance_variables.iter().cloned());
                self.redefine_with(cls, None, Some(own)).map_err(definition_error)?;
            } else {
                let mut own: Vec<String> = existing.iter().skip(inherited).cloned().collect();
                own.extend(ext.instance_variables.iter().cloned());
                self.redefine_with(cls, Some(own), None).map_err(definition_error)?;
            }
        }
        // Each method says which side it belongs to (`Foo class extend`
        // marks them all class-side), so the methods go to the class itself.
        let cls = self.global_class(&ext.class_name).unwrap_or(cls);
        self.install_methods(cls, &ext.methods)
    }

    /// Redefines an existing class with other own instance variables
    /// (instance side, class side, or both), keeping everything else.
    fn redefine_with(
        &mut self,
        cls: Oop,
        ivars: Option<Vec<String>>,
        class_ivars: Option<Vec<String>>,
    ) -> Result<Oop, String> {
        let name = self.mem.class_name(cls);
        let superclass = self.mem.superclass_of(cls);
        let inherited =
            if superclass == self.mem.nil() { 0 } else { self.mem.instance_variable_names(superclass).len() };
        let own = ivars.unwrap_or_else(|| self.mem.instance_variable_names(cls).into_iter().skip(inherited).collect());
        let spec = ClassSpec {
            name,
            superclass,
            shape: Shape::Inherit,
            instance_variables: own,
            class_variables: Vec::new(),
            class_instance_variables: class_ivars,
            category: None,
            comment: None,
        };
        self.define_class_and_settle(&spec)
    }

    fn install_methods(&mut self, cls: Oop, methods: &[MethodSource]) -> Result<(), LoadError> {
        for m in methods {
            let target = if m.class_side { self.mem.class_of(cls) } else { cls };
            self.compile_source_into(target, &m.source, m.syntax, m.category.as_deref())?;
        }
        Ok(())
    }
}
