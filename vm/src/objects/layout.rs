//! Where the VM expects things: the class indices it knows, the slot order
//! of the objects it reads and writes, and the special-objects array.
//!
//! The stdlib's class definitions must declare exactly these instance
//! variables, in this order, for the classes named here; the bootstrap checks.

/// Class indices the VM relies on. A class defined by the stdlib under one of
/// these names gets this index; every other class gets the next free one
/// from [`FIRST_DYNAMIC_CLASS_INDEX`]. Indices 3..=7 are reserved.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KnownClass {
    SmallInteger = 1,
    Character = 2,
    UndefinedObject = 8,
    False = 9,
    True = 10,
    Object = 11,
    Metaclass = 12,
    Array = 13,
    String = 14,
    Symbol = 15,
    ByteArray = 16,
    Float = 17,
    LargePositiveInteger = 18,
    LargeNegativeInteger = 19,
    CompiledMethod = 20,
    CompiledBlock = 21,
    BlockClosure = 22,
    Context = 23,
    Association = 24,
    Message = 25,
    MethodDictionary = 26,
    SystemDictionary = 27,
    Dictionary = 28,
    Point = 29,
    Fraction = 30,
    ScaledDecimal = 31,
    Process = 32,
    WideString = 33,
    Class = 34,
    Behavior = 35,
    ClassDescription = 36,
    Boolean = 37,
}

impl KnownClass {
    pub const ALL: [KnownClass; 32] = [
        KnownClass::SmallInteger,
        KnownClass::Character,
        KnownClass::UndefinedObject,
        KnownClass::False,
        KnownClass::True,
        KnownClass::Object,
        KnownClass::Metaclass,
        KnownClass::Array,
        KnownClass::String,
        KnownClass::Symbol,
        KnownClass::ByteArray,
        KnownClass::Float,
        KnownClass::LargePositiveInteger,
        KnownClass::LargeNegativeInteger,
        KnownClass::CompiledMethod,
        KnownClass::CompiledBlock,
        KnownClass::BlockClosure,
        KnownClass::Context,
        KnownClass::Association,
        KnownClass::Message,
        KnownClass::MethodDictionary,
        KnownClass::SystemDictionary,
        KnownClass::Dictionary,
        KnownClass::Point,
        KnownClass::Fraction,
        KnownClass::ScaledDecimal,
        KnownClass::Process,
        KnownClass::WideString,
        KnownClass::Class,
        KnownClass::Behavior,
        KnownClass::ClassDescription,
        KnownClass::Boolean,
    ];

    #[inline]
    pub const fn index(self) -> u32 {
        self as u32
    }

    /// The class's name in Smalltalk.
    pub fn name(self) -> &'static str {
        match self {
            KnownClass::SmallInteger => "SmallInteger",
            KnownClass::Character => "Character",
            KnownClass::UndefinedObject => "UndefinedObject",
            KnownClass::False => "False",
            KnownClass::True => "True",
            KnownClass::Object => "Object",
            KnownClass::Metaclass => "Metaclass",
            KnownClass::Array => "Array",
            KnownClass::String => "String",
            KnownClass::Symbol => "Symbol",
            KnownClass::ByteArray => "ByteArray",
            KnownClass::Float => "Float",
            KnownClass::LargePositiveInteger => "LargePositiveInteger",
            KnownClass::LargeNegativeInteger => "LargeNegativeInteger",
            KnownClass::CompiledMethod => "CompiledMethod",
            KnownClass::CompiledBlock => "CompiledBlock",
            KnownClass::BlockClosure => "BlockClosure",
            KnownClass::Context => "Context",
            KnownClass::Association => "Association",
            KnownClass::Message => "Message",
            KnownClass::MethodDictionary => "MethodDictionary",
            KnownClass::SystemDictionary => "SystemDictionary",
            KnownClass::Dictionary => "Dictionary",
            KnownClass::Point => "Point",
            KnownClass::Fraction => "Fraction",
            KnownClass::ScaledDecimal => "ScaledDecimal",
            KnownClass::Process => "Process",
            KnownClass::WideString => "WideString",
            KnownClass::Class => "Class",
            KnownClass::Behavior => "Behavior",
            KnownClass::ClassDescription => "ClassDescription",
            KnownClass::Boolean => "Boolean",
        }
    }

    /// The known class with this name, if any.
    pub fn named(name: &str) -> Option<KnownClass> {
        KnownClass::ALL.iter().copied().find(|k| k.name() == name)
    }
}

// The heap answers these indices for immediates without knowing classes.
const _: () = {
    assert!(KnownClass::SmallInteger as u32 == crate::heap::SMALL_INTEGER_CLASS_INDEX);
    assert!(KnownClass::Character as u32 == crate::heap::CHARACTER_CLASS_INDEX);
    assert!(KnownClass::Float as u32 == crate::heap::FLOAT_CLASS_INDEX);
};

/// Classes defined by the stdlib beyond the known ones start here.
pub const FIRST_DYNAMIC_CLASS_INDEX: u32 = 64;

/// Slots of every class (Behavior, ClassDescription, Class).
pub mod class {
    pub const SUPERCLASS: usize = 0;
    pub const METHOD_DICT: usize = 1;
    /// A SmallInteger: low 16 bits the number of named instance variables,
    /// bits 16..=20 the instances' header [`Format`](crate::heap::Format) code.
    pub const FORMAT: usize = 2;
    /// An Array of Strings: every instance variable name, inherited first.
    pub const INSTANCE_VARIABLES: usize = 3;
    /// Class: the name, a Symbol. (Metaclass: `thisClass` is in this slot.)
    pub const NAME: usize = 4;
    /// Metaclass: its sole instance.
    pub const THIS_CLASS: usize = 4;
    /// Class: a Dictionary of Associations, or nil.
    pub const CLASS_POOL: usize = 5;
    /// Class: an Array of the direct subclasses, or nil.
    pub const SUBCLASSES: usize = 6;
    /// Class: a String, or nil.
    pub const CATEGORY: usize = 7;
    /// Class: a String, or nil.
    pub const COMMENT: usize = 8;
    /// Named slots of a Class (its metaclass may add class-side ones).
    pub const CLASS_SLOTS: usize = 9;
    /// Named slots of a Metaclass.
    pub const METACLASS_SLOTS: usize = 5;
    /// Names, in order, for the stdlib's `Behavior`, `ClassDescription`, `Class`.
    pub const BEHAVIOR_IVARS: [&str; 3] = ["superclass", "methodDict", "format"];
    pub const CLASS_DESCRIPTION_IVARS: [&str; 1] = ["instanceVariables"];
    pub const CLASS_IVARS: [&str; 5] = ["name", "classPool", "subclasses", "category", "comment"];
    pub const METACLASS_IVARS: [&str; 1] = ["thisClass"];
}

/// A MethodDictionary: `tally` then, in its indexed part, key/value pairs.
///
/// ```text
///  [ tally | key0 | method0 | key1 | method1 | ... ]   capacity = pairs, a power of two
/// ```
/// A key is a Symbol; the probe starts at `identityHash & (capacity - 1)`
/// and moves to the next pair, wrapping. An empty pair has a nil key.
pub mod method_dict {
    pub const TALLY: usize = 0;
    pub const FIRST_PAIR: usize = 1;
    pub const IVARS: [&str; 1] = ["tally"];
}

/// A Dictionary (and SystemDictionary): `tally`, `array` of Associations.
/// The probe for key `k` starts at `(k hash \\ array size)` (0-based) and
/// moves to the next slot, wrapping; nil marks an empty slot. Symbols hash
/// by their identity hash, which is their string hash.
pub mod dictionary {
    pub const TALLY: usize = 0;
    pub const ARRAY: usize = 1;
    pub const IVARS: [&str; 2] = ["tally", "array"];
}

pub mod association {
    pub const KEY: usize = 0;
    pub const VALUE: usize = 1;
    pub const IVARS: [&str; 2] = ["key", "value"];
}

pub mod message {
    pub const SELECTOR: usize = 0;
    pub const ARGUMENTS: usize = 1;
    pub const LOOKUP_CLASS: usize = 2;
    pub const IVARS: [&str; 3] = ["selector", "args", "lookupClass"];
}

pub mod point {
    pub const X: usize = 0;
    pub const Y: usize = 1;
    pub const IVARS: [&str; 2] = ["x", "y"];
}

pub mod fraction {
    pub const NUMERATOR: usize = 0;
    pub const DENOMINATOR: usize = 1;
    pub const IVARS: [&str; 2] = ["numerator", "denominator"];
}

pub mod scaled_decimal {
    /// An Integer or a Fraction: the exact value.
    pub const FRACTION: usize = 0;
    /// A SmallInteger: the number of decimal places printed.
    pub const SCALE: usize = 1;
    pub const IVARS: [&str; 2] = ["fraction", "scale"];
}

/// A Context (an activation record, Blue Book style).
///
/// ```text
///  [ sender | pc | stackp | method | closureOrNil | receiver | temps ... | stack ... ]
///                                                              ^ indexed part
/// ```
/// `pc` is the 0-based offset of the next bytecode, or nil once the context
/// has returned (it is dead). `stackp` counts the used indexed slots: the
/// temps (arguments first) and then the operand stack.
pub mod context {
    pub const SENDER: usize = 0;
    pub const PC: usize = 1;
    pub const STACKP: usize = 2;
    pub const METHOD: usize = 3;
    pub const CLOSURE: usize = 4;
    pub const RECEIVER: usize = 5;
    pub const FIRST_TEMP: usize = 6;
    pub const IVARS: [&str; 6] = ["sender", "pc", "stackp", "method", "closureOrNil", "receiver"];
}

/// A BlockClosure: the context it was made in, its code, and its copied values.
pub mod closure {
    pub const OUTER_CONTEXT: usize = 0;
    pub const COMPILED_BLOCK: usize = 1;
    pub const NUM_ARGS: usize = 2;
    pub const RECEIVER: usize = 3;
    pub const FIRST_COPIED: usize = 4;
    pub const IVARS: [&str; 4] = ["outerContext", "compiledBlock", "numArgs", "receiver"];
}

/// A CompiledMethod or CompiledBlock (header format `Code`).
///
/// ```text
///  slot 0   header: a SmallInteger, see below
///  slot 1   selector (a Symbol; for a block, its home method's)
///  slot 2   method: the class it is installed in; block: the enclosing code
///  slot 3   source: a String, or nil
///  slot 4   line table: a ByteArray of (pc u32 LE, line u32 LE) pairs, or nil
///  slot 5   properties: nil, or an Array {category. origin file name. pragmas}
///  slot 6.. literals, as the compiler numbered them
///  bytes    bytecodes, after the last literal slot
///
///  header bits:  0..=15 pointer slots after slot 0 (5 + literals)
///               16..=23 argument count
///               24..=39 temp count (arguments included)
///               40..=51 operand stack slots needed
///               52..=61 primitive number, or 0
/// ```
pub mod code {
    pub const HEADER: usize = 0;
    pub const SELECTOR: usize = 1;
    pub const METHOD_CLASS: usize = 2;
    pub const OUTER_CODE: usize = 2;
    pub const SOURCE: usize = 3;
    pub const LINES: usize = 4;
    pub const PROPERTIES: usize = 5;
    pub const FIRST_LITERAL: usize = 6;

    pub const MAX_LITERAL_SLOTS: usize = 0xFFFF;
    pub const MAX_STACK: usize = 0xFFF;
    pub const MAX_PRIMITIVE: usize = 0x3FF;

    /// The header SmallInteger's value.
    pub const fn header(
        pointer_slots: usize,
        num_args: usize,
        num_temps: usize,
        max_stack: usize,
        primitive: usize,
    ) -> i64 {
        (pointer_slots as i64 & 0xFFFF)
            | ((num_args as i64 & 0xFF) << 16)
            | ((num_temps as i64 & 0xFFFF) << 24)
            | ((max_stack as i64 & 0xFFF) << 40)
            | ((primitive as i64 & 0x3FF) << 52)
    }
    pub const fn pointer_slots(header: i64) -> usize {
        (header & 0xFFFF) as usize
    }
    pub const fn num_args(header: i64) -> usize {
        ((header >> 16) & 0xFF) as usize
    }
    pub const fn num_temps(header: i64) -> usize {
        ((header >> 24) & 0xFFFF) as usize
    }
    pub const fn max_stack(header: i64) -> usize {
        ((header >> 40) & 0xFFF) as usize
    }
    pub const fn primitive(header: i64) -> usize {
        ((header >> 52) & 0x3FF) as usize
    }
    /// The heap offset of the first bytecode of `method`, whose header
    /// word is `header`: after its object header, header slot and literals.
    #[inline(always)]
    pub fn code_base(method: crate::heap::Oop, header: i64) -> usize {
        method.offset() + 8 + (1 + pointer_slots(header)) * 8
    }
}

/// The special-objects array: the one root the whole world hangs from.
pub mod special {
    pub const NIL: usize = 0;
    pub const FALSE: usize = 1;
    pub const TRUE: usize = 2;
    /// An Array: class index -> class (nil where free).
    pub const CLASS_TABLE: usize = 3;
    /// The SystemDictionary `Smalltalk`.
    pub const SMALLTALK: usize = 4;
    /// An Array used as an open-addressed set of every Symbol.
    pub const SYMBOL_TABLE: usize = 5;
    /// A SmallInteger: how many Symbols the table holds.
    pub const SYMBOL_COUNT: usize = 6;
    /// An Array of the Symbols of `bytecode::SPECIAL_SELECTORS`.
    pub const SPECIAL_SELECTORS: usize = 7;
    /// A Dictionary: the workspace variables of top-level code.
    pub const WORKSPACE: usize = 8;
    /// A Dictionary: bindings referred to before they were defined.
    pub const UNDECLARED: usize = 9;
    /// The context the interpreter runs (saved here across collections).
    pub const ACTIVE_CONTEXT: usize = 10;
    /// Selectors the VM sends on its own.
    pub const SELECTOR_DOES_NOT_UNDERSTAND: usize = 11;
    pub const SELECTOR_MUST_BE_BOOLEAN: usize = 12;
    pub const SELECTOR_CANNOT_RETURN: usize = 13;
    pub const SELECTOR_ABOUT_TO_RETURN: usize = 14;
    pub const SELECTOR_RECURSION_TOO_DEEP: usize = 15;
    pub const SELECTOR_OUT_OF_MEMORY: usize = 16;
    /// The program file being run, so that an image saved in the middle of
    /// it goes on with the rest after the saving statement: nil, or an Array
    /// `{source. fileName. indexOfNextItem}`.
    pub const PROGRAM: usize = 17;
    /// The ProcessorScheduler (the global `Processor`), once the library
    /// has made it; nil before.
    pub const PROCESSOR: usize = 18;
    /// Only in a saved image: the timers pending at the save, an Array
    /// `{semaphore. millisecondsLeft. ...}`, re-armed when it is booted.
    pub const TIMERS: usize = 19;
    /// Sent to the running context on Ctrl-C.
    pub const SELECTOR_USER_INTERRUPT: usize = 20;
    /// Looked up, not sent, by `Behavior>>new`'s primitive (345).
    pub const SELECTOR_BASIC_NEW: usize = 21;
    pub const SELECTOR_INITIALIZE: usize = 22;
    pub const COUNT: usize = 23;
}

/// A Process (a Link): the chain of its contexts while it is not running,
/// its priority (1..=`scheduler::PRIORITIES`), and the list it is in: a
/// run queue of the scheduler when ready, a Semaphore when waiting, nil
/// when suspended or running, the scheduler itself when parked (see
/// `interp::process`).
pub mod process {
    pub const NEXT_LINK: usize = 0;
    pub const SUSPENDED_CONTEXT: usize = 1;
    pub const PRIORITY: usize = 2;
    pub const MY_LIST: usize = 3;
    pub const NAME: usize = 4;
    pub const IVARS: [&str; 5] = ["nextLink", "suspendedContext", "priority", "myList", "name"];
}

/// A LinkedList: its first and last Link.
pub mod linked_list {
    pub const FIRST_LINK: usize = 0;
    pub const LAST_LINK: usize = 1;
}

/// A Semaphore: a LinkedList of waiting Processes and a count of the
/// signals nobody waited for.
pub mod semaphore {
    pub const EXCESS_SIGNALS: usize = 2;
    pub const IVARS: [&str; 3] = ["firstLink", "lastLink", "excessSignals"];
}

/// The ProcessorScheduler: an Array of run queues (LinkedLists), one per
/// priority, the running process, and the process that runs top-level
/// statements.
pub mod scheduler {
    pub const RUN_QUEUES: usize = 0;
    pub const ACTIVE_PROCESS: usize = 1;
    pub const MAIN_PROCESS: usize = 2;
    pub const IVARS: [&str; 3] = ["quiescentProcessLists", "activeProcess", "mainProcess"];
    /// Priorities run from 1 to this.
    pub const PRIORITIES: usize = 80;
}
