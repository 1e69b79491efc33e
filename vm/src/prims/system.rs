//! System primitives: standard output and error, exit, the compiler and
//! class definitions, clocks, garbage collection, compiled-code access,
//! evaluation and filing in, arguments and environment.

use std::time::{SystemTime, UNIX_EPOCH};

use smalt_compiler::{MethodSyntax, Origin, Shape, SourceText};

use super::index::Primitive as P;
use super::{answer, arg, receiver, require, PrimError, PrimResult};
use crate::heap::Oop;
use crate::install::{BindingScope, ClassSpec, SourceSyntax};
use crate::interp::{Halt, Vm};
use crate::objects::layout::{class, code, special, KnownClass};
use crate::run::ImageKind;

pub fn system(vm: &mut Vm, prim: P, argc: usize) -> PrimResult {
    match prim {
        P::WriteStdout | P::WriteStderr => {
            let text = arg(vm, argc, 0);
            let bytes = utf8_bytes(vm, text).ok_or(PrimError::Fail)?;
            if prim == P::WriteStdout {
                vm.write_stdout(&bytes);
            } else {
                vm.write_stderr(&bytes);
            }
            let rcvr = receiver(vm, argc);
            answer(vm, argc, rcvr)
        }
        P::FlushStdout => {
            vm.flush_stdout();
            let rcvr = receiver(vm, argc);
            answer(vm, argc, rcvr)
        }
        P::Abort => {
            vm.flush_stdout();
            if vm.active_process() != vm.owner() {
                // An unhandled error ends only the process it happened in.
                vm.terminate_active()?;
                return Ok(());
            }
            Err(PrimError::Halt(Halt::Unhandled))
        }
        P::Exit => {
            let status = arg(vm, argc, 0).to_small_integer().ok_or(PrimError::Fail)?;
            vm.flush_stdout();
            Err(PrimError::Halt(Halt::Exit(status.clamp(0, 255) as i32)))
        }
        P::DefineSubclass => define_subclass(vm, argc),
        P::Compile => {
            let cls = receiver(vm, argc);
            require(vm.mem.is_behavior(cls) && argc >= 1)?;
            let source = vm.mem.string_value(arg(vm, argc, 0)).ok_or(PrimError::Fail)?;
            let category = if argc >= 2 { vm.mem.string_value(arg(vm, argc, 1)) } else { None };
            let result =
                match vm.compile_and_install(cls, &source, MethodSyntax::Classic, "a String", category.as_deref()) {
                    Ok(selector) => selector,
                    Err(message) => vm.mem.new_string(&message)?,
                };
            answer(vm, argc, result)
        }
        P::RemoveSelector => {
            let cls = receiver(vm, argc);
            let selector = arg(vm, argc, 0);
            require(vm.mem.is_behavior(cls) && vm.mem.is_symbol(selector))?;
            let md = vm.mem.heap.fetch(cls, class::METHOD_DICT);
            let removed = vm.mem.method_dict_remove(md, selector)?.unwrap_or(vm.mem.nil());
            vm.cache.invalidate();
            answer(vm, argc, removed)
        }
        P::LookupSelector => {
            let cls = receiver(vm, argc);
            let selector = arg(vm, argc, 0);
            require(vm.mem.is_behavior(cls))?;
            let method = vm.mem.lookup_method(cls, selector).unwrap_or(vm.mem.nil());
            answer(vm, argc, method)
        }
        P::AddSelector => {
            let cls = receiver(vm, argc);
            let selector = arg(vm, argc, 0);
            let method = arg(vm, argc, 1);
            require(vm.mem.is_behavior(cls) && vm.mem.is_symbol(selector))?;
            require(vm.mem.is_instance_of(method, KnownClass::CompiledMethod))?;
            // A send of the selector must find a method taking its arguments.
            let arity = super::string::num_args(&vm.mem.string_value(selector).unwrap_or_default());
            require(code::num_args(vm.code_header(method)) == arity)?;
            let md = vm.mem.heap.fetch(cls, class::METHOD_DICT);
            let md = vm.mem.method_dict_at_put(md, selector, method)?;
            vm.mem.heap.store(cls, class::METHOD_DICT, md);
            vm.cache.invalidate();
            answer(vm, argc, method)
        }
        P::MillisecondClock => {
            let ms = vm.clock_start.elapsed().as_millis() as i64;
            answer(vm, argc, Oop::small_integer(ms))
        }
        P::MicrosecondClock => {
            let us = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros() as i64).unwrap_or(0);
            answer(vm, argc, Oop::small_integer(us))
        }
        P::HeapUsage => {
            let stats = vm.mem.heap.stats();
            let used = Oop::small_integer(stats.old_used as i64);
            let capacity = Oop::small_integer(vm.mem.heap.old_space_capacity() as i64);
            let pair = vm.mem.new_array_from(&[used, capacity])?;
            answer(vm, argc, pair)
        }
        P::GarbageCollect => {
            vm.full_garbage_collect();
            let used = vm.mem.heap.stats().old_used as i64;
            answer(vm, argc, Oop::small_integer(used))
        }
        P::CodeObjectAt => {
            let method = receiver(vm, argc);
            let index = arg(vm, argc, 0).to_small_integer().ok_or(PrimError::Fail)?;
            require(method.is_object() && vm.mem.heap.format_of(method).is_code())?;
            let slots = 1 + code::pointer_slots(vm.code_header(method));
            require(index >= 1 && index as usize <= slots)?;
            let value = vm.mem.heap.fetch(method, index as usize - 1);
            answer(vm, argc, value)
        }
        P::CodeNumObjects => {
            let method = receiver(vm, argc);
            require(method.is_object() && vm.mem.heap.format_of(method).is_code())?;
            let slots = 1 + code::pointer_slots(vm.code_header(method));
            answer(vm, argc, Oop::small_integer(slots as i64))
        }
        P::Evaluate => {
            let source = vm.mem.string_value(arg(vm, argc, 0)).ok_or(PrimError::Fail)?;
            let text = SourceText {
                text: source,
                origin: Origin { name: "evaluate:".into(), first_line: 1, first_column: 1 },
            };
            let doit = smalt_compiler::compile_doit(&text, &Default::default()).map_err(|_| PrimError::Fail)?;
            vm.mem.declare_workspace_variables(&doit.declared)?;
            let nil = vm.mem.nil();
            let method =
                vm.mem.install_code(&doit.code, nil, BindingScope::Workspace, SourceSyntax::DoIt, "evaluate:")?;
            vm.pop_n(argc + 1);
            vm.push(nil);
            let header = vm.code_header(method);
            vm.activate_method(method, header, 0)?;
            Ok(())
        }
        P::Arguments => {
            let args = vm.options.arguments.clone();
            let array = vm.mem.string_array(&args)?;
            answer(vm, argc, array)
        }
        P::GetEnv => {
            let name = vm.mem.string_value(arg(vm, argc, 0)).ok_or(PrimError::Fail)?;
            let value = match std::env::var(&name) {
                Ok(v) => vm.mem.new_string(&v)?,
                Err(_) => vm.mem.nil(),
            };
            answer(vm, argc, value)
        }
        P::FileIn => {
            let path = vm.mem.string_value(arg(vm, argc, 0)).ok_or(PrimError::Fail)?;
            let source = std::fs::read_to_string(&path).map_err(|_| PrimError::Fail)?;
            let rcvr = receiver(vm, argc);
            answer(vm, argc, rcvr)?;
            vm.file_in_nested(&source, &path).map_err(PrimError::Halt)
        }
        P::DeclareGlobal => {
            let key = arg(vm, argc, 0);
            let value = arg(vm, argc, 1);
            require(vm.mem.is_symbol(key) && receiver(vm, argc) == vm.mem.special_object(special::SMALLTALK))?;
            vm.mem.declare_global(key, value)?;
            answer(vm, argc, value)
        }
        P::SaveImage => save_primitive(vm, argc, ImageKind::Full),
        P::SessionId => {
            let id = Oop::small_integer(vm.session_id);
            answer(vm, argc, id)
        }
        _ => Err(PrimError::Fail),
    }
}

/// The UTF-8 encoding of a String, Symbol or WideString, or a ByteArray's bytes.
pub(super) fn utf8_bytes(vm: &Vm, oop: Oop) -> Option<Vec<u8>> {
    if vm.mem.is_instance_of(oop, KnownClass::ByteArray) {
        return Some(vm.mem.heap.bytes(oop).to_vec());
    }
    vm.mem.string_value(oop).map(String::into_bytes)
}

/// `primDefineSubclass: name instanceVariableNames: ivars classVariableNames:
/// cvars category: cat shape: shape`; answers the class, or a String saying
/// why it cannot be defined.
fn define_subclass(vm: &mut Vm, argc: usize) -> PrimResult {
    require(argc == 5)?;
    let superclass = receiver(vm, argc);
    require(superclass == vm.mem.nil() || vm.mem.is_behavior(superclass))?;
    let name = vm.mem.string_value(arg(vm, argc, 0)).ok_or(PrimError::Fail)?;
    let ivars = vm.mem.string_value(arg(vm, argc, 1)).ok_or(PrimError::Fail)?;
    let cvars = vm.mem.string_value(arg(vm, argc, 2)).ok_or(PrimError::Fail)?;
    let category = vm.mem.string_value(arg(vm, argc, 3));
    let shape = match vm.mem.string_value(arg(vm, argc, 4)).as_deref() {
        Some("inherit") => Shape::Inherit,
        Some("fixed") => Shape::Fixed,
        Some("pointer") => Shape::Pointers,
        Some("byte") => Shape::Bytes,
        Some("word") => Shape::Words,
        Some("weak") => Shape::Weak,
        _ => return Err(PrimError::Fail),
    };
    let valid_name =
        name.chars().next().is_some_and(char::is_uppercase) && name.chars().all(|c| c.is_alphanumeric() || c == '_');
    if !valid_name {
        let message = vm.mem.new_string(&format!("'{name}' is not a class name: expected a capitalised identifier"))?;
        return answer(vm, argc, message);
    }
    let spec = ClassSpec {
        name,
        superclass,
        shape,
        instance_variables: ivars.split_whitespace().map(String::from).collect(),
        class_variables: cvars.split_whitespace().map(String::from).collect(),
        class_instance_variables: None,
        category,
        comment: None,
    };
    let result = match vm.define_class_and_settle(&spec) {
        Ok(cls) => cls,
        Err(message) => vm.mem.new_string(&message)?,
    };
    answer(vm, argc, result)
}

/// `primSaveImage:` and `primSaveDelta:`: answers false in the process that
/// saved, true when the image is booted and execution resumes here, or a
/// String naming the path and the OS error when the save failed.
pub(crate) fn save_primitive(vm: &mut Vm, argc: usize, kind: ImageKind) -> PrimResult {
    let path = vm.mem.string_value(arg(vm, argc, 0)).ok_or(PrimError::Fail)?;
    if !vm.suspended.is_empty() {
        // The evaluations below this one live on the Rust stack, which an
        // image cannot hold.
        let what = if kind == ImageKind::Full { "an image" } else { "a delta" };
        let text = format!(
            "cannot save {what} to {path} from code run by fileIn: or evaluate: inside another evaluation; \
             save from the program itself"
        );
        let message = vm.mem.new_string(&text)?;
        return answer(vm, argc, message);
    }
    // The resumed process finds `true` as the answer; this one `false`.
    vm.pop_n(argc + 1);
    vm.push(vm.mem.true_object());
    let answer_now = match vm.save_image_of_kind(std::path::Path::new(&path), true, kind) {
        Ok(()) => vm.mem.false_object(),
        Err(e) => vm.mem.new_string(&e.to_string())?,
    };
    vm.set_stack_value(0, answer_now);
    Ok(())
}
