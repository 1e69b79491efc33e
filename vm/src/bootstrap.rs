//! The cold start: makes nil, true and false, the special-objects array, the
//! class table, the symbol table, the five classes the metaclass machinery
//! needs, then files in the class library from `stdlib/` in order.

use smalt_compiler::bytecode::SPECIAL_SELECTORS;

use crate::heap::{self, Format};
use crate::interp::{Vm, VmOptions};
use crate::objects::layout::{class, special, KnownClass};
use crate::objects::memory::InstanceSpec;
use crate::run::LoadError;
use crate::VmError;

include!(concat!(env!("OUT_DIR"), "/stdlib_files.rs"));

/// Selectors the VM sends on its own, by special-objects index.
const VM_SELECTORS: [(usize, &str); 9] = [
    (special::SELECTOR_DOES_NOT_UNDERSTAND, "doesNotUnderstand:"),
    (special::SELECTOR_MUST_BE_BOOLEAN, "mustBeBoolean"),
    (special::SELECTOR_CANNOT_RETURN, "cannotReturn:"),
    (special::SELECTOR_ABOUT_TO_RETURN, "aboutToReturn:through:"),
    (special::SELECTOR_RECURSION_TOO_DEEP, "recursionTooDeep"),
    (special::SELECTOR_OUT_OF_MEMORY, "outOfMemory"),
    (special::SELECTOR_USER_INTERRUPT, "userInterrupt"),
    (special::SELECTOR_BASIC_NEW, "basicNew"),
    (special::SELECTOR_INITIALIZE, "initialize"),
];

impl Vm {
    /// A new world built from the embedded class library.
    pub fn bootstrap(options: VmOptions) -> Result<Vm, LoadError> {
        let mut vm = Vm::with_heap(options)?;
        vm.create_kernel()?;
        for (name, source) in STDLIB {
            vm.file_in(source, name)?;
        }
        Ok(vm)
    }

    /// The objects that must exist before any source can be compiled.
    fn create_kernel(&mut self) -> Result<(), VmError> {
        let mem = &mut self.mem;
        for (expected, class) in
            [(heap::NIL, KnownClass::UndefinedObject), (heap::FALSE, KnownClass::False), (heap::TRUE, KnownClass::True)]
        {
            let oop = mem
                .heap
                .allocate_old(class.index(), Format::Empty, 0)
                .ok_or(VmError::HeapExhausted { requested_slots: 1 })?;
            if oop != expected {
                return Err(VmError::Broken(format!("{} was made at {oop:?}, not at {expected:?}", class.name())));
            }
        }
        let special_array = mem
            .heap
            .allocate_old(KnownClass::Array.index(), Format::Indexable, special::COUNT)
            .ok_or(VmError::HeapExhausted { requested_slots: special::COUNT })?;
        mem.special = special_array;
        mem.set_special_object(special::NIL, heap::NIL);
        mem.set_special_object(special::FALSE, heap::FALSE);
        mem.set_special_object(special::TRUE, heap::TRUE);
        mem.init_class_table()?;
        mem.init_symbol_table()?;

        let smalltalk = mem.new_dictionary(KnownClass::SystemDictionary, 1024)?;
        mem.set_special_object(special::SMALLTALK, smalltalk);
        let workspace = mem.new_dictionary(KnownClass::Dictionary, 32)?;
        mem.set_special_object(special::WORKSPACE, workspace);
        let undeclared = mem.new_dictionary(KnownClass::Dictionary, 32)?;
        mem.set_special_object(special::UNDECLARED, undeclared);

        let mut selectors = Vec::with_capacity(SPECIAL_SELECTORS.len());
        for (name, _) in SPECIAL_SELECTORS {
            selectors.push(mem.intern(name)?);
        }
        let table = mem.new_array_from(&selectors)?;
        mem.set_special_object(special::SPECIAL_SELECTORS, table);
        for (index, name) in VM_SELECTORS {
            let symbol = mem.intern(name)?;
            mem.set_special_object(index, symbol);
        }

        // Object, Behavior, ClassDescription, Class, Metaclass: each class is
        // an instance of its metaclass, each metaclass an instance of
        // Metaclass, and `Object class superclass` is Class.
        let nil = mem.nil();
        let names = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<String>>();
        let behavior_ivars = names(&class::BEHAVIOR_IVARS);
        let mut description_ivars = behavior_ivars.clone();
        description_ivars.extend(names(&class::CLASS_DESCRIPTION_IVARS));
        let mut class_ivars = description_ivars.clone();
        class_ivars.extend(names(&class::CLASS_IVARS));
        let mut metaclass_ivars = description_ivars.clone();
        metaclass_ivars.extend(names(&class::METACLASS_IVARS));
        let fixed = |n: usize| InstanceSpec {
            fixed: n,
            format_code: if n == 0 { Format::Empty.code() } else { Format::Fixed.code() },
        };

        let object =
            mem.make_class("Object", nil, fixed(0), &[], class::CLASS_SLOTS, Some(KnownClass::Object.index()), nil)?;
        let behavior = mem.make_class(
            "Behavior",
            object,
            fixed(behavior_ivars.len()),
            &behavior_ivars,
            class::CLASS_SLOTS,
            Some(KnownClass::Behavior.index()),
            nil,
        )?;
        let description = mem.make_class(
            "ClassDescription",
            behavior,
            fixed(description_ivars.len()),
            &description_ivars,
            class::CLASS_SLOTS,
            Some(KnownClass::ClassDescription.index()),
            nil,
        )?;
        let class_class = mem.make_class(
            "Class",
            description,
            fixed(class_ivars.len()),
            &class_ivars,
            class::CLASS_SLOTS,
            Some(KnownClass::Class.index()),
            nil,
        )?;
        let metaclass = mem.make_class(
            "Metaclass",
            description,
            fixed(metaclass_ivars.len()),
            &metaclass_ivars,
            class::CLASS_SLOTS,
            Some(KnownClass::Metaclass.index()),
            nil,
        )?;
        let object_meta = mem.class_of(object);
        mem.heap.store(object_meta, class::SUPERCLASS, class_class);
        let class_ivar_names = mem.string_array(&class_ivars)?;
        for cls in [object, behavior, description, class_class, metaclass] {
            let meta = mem.class_of(cls);
            mem.heap.store(meta, class::INSTANCE_VARIABLES, class_ivar_names);
            let name = mem.heap.fetch(cls, class::NAME);
            mem.declare_global(name, cls)?;
        }
        let smalltalk_name = mem.intern("Smalltalk")?;
        mem.declare_global(smalltalk_name, smalltalk)?;
        Ok(())
    }
}

/// The number of stdlib files, for reports.
pub fn stdlib_file_count() -> usize {
    STDLIB.len()
}
