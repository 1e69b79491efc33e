//! What the compiler hands the VM: plain Rust values describing compiled code
//! and the declarations of a source file. Nothing here knows the heap; the VM's
//! installer turns these into heap objects.

use num_bigint::BigInt;

/// A compiled method or block, ready to be installed.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledCode {
    /// The selector for a method; for a block, the selector of its home method.
    pub selector: String,
    /// Whether this is a block (a `CompiledBlock`) rather than a method.
    pub is_block: bool,
    /// Arguments; they are the first temps.
    pub num_args: u8,
    /// For a block, the values copied into its closure; they follow the arguments.
    pub num_copied: u8,
    /// All temps: arguments, copied values (blocks), then declared and
    /// compiler-made temps (inlined-block variables, temp vectors).
    pub num_temps: u16,
    /// Stack slots needed beyond the temps: the deepest the operand stack gets.
    pub max_stack: u16,
    /// The `<primitive: n>` number, or 0.
    pub primitive: u16,
    /// The literal frame, indexed by the bytecodes' literal operands.
    pub literals: Vec<Literal>,
    /// The bytecodes (see [`crate::bytecode`]).
    pub bytecodes: Vec<u8>,
    /// Pairs `(pc, line)`: the instruction starting at `pc` and those after it,
    /// up to the next pair, come from source line `line` (1-based, counted in
    /// the file the code came from). Sorted by pc.
    pub lines: Vec<(u32, u32)>,
    /// The method's own source text as written (empty for blocks: a block's
    /// source is inside its home method's).
    pub source: String,
    /// The other pragmas, such as `<category: 'accessing'>`, in source order.
    pub pragmas: Vec<Pragma>,
}

/// A pragma `<keyword: literal ...>` other than `<primitive:>`.
#[derive(Debug, Clone, PartialEq)]
pub struct Pragma {
    /// The pragma's selector, e.g. `category:`.
    pub selector: String,
    pub arguments: Vec<Literal>,
}

/// A literal in a literal frame.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Nil,
    True,
    False,
    /// An integer of any size; the VM makes a SmallInteger or a LargeInteger.
    Integer(BigInt),
    Float(f64),
    /// `3.14s2`: the exact value `numerator / denominator` (reduced, positive
    /// denominator), printed with `scale` decimal places.
    ScaledDecimal {
        numerator: BigInt,
        denominator: BigInt,
        scale: u32,
    },
    Character(char),
    String(String),
    Symbol(String),
    /// A literal array `#(...)`.
    Array(Vec<Literal>),
    /// A literal byte array `#[...]`.
    ByteArray(Vec<u8>),
    /// A variable that is not a temp or an instance variable: a class variable,
    /// a global or a workspace variable. The VM resolves the name to a binding
    /// (an Association) when it installs the code.
    Binding(String),
    /// A block's compiled code (its `PushClosure` names this literal).
    Block(Box<CompiledCode>),
}

/// Where source text came from, for line numbers in diagnostics and walkbacks.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Origin {
    /// A file name, or a label such as `-e` or `repl`.
    pub name: String,
    /// The line (1-based) on which the text starts in that file.
    pub first_line: u32,
    /// The column (1-based) at which the text starts on its first line.
    pub first_column: u32,
}

/// What the compiler must know about the class a method is compiled for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClassScope {
    /// The class's name as shown in diagnostics, e.g. `Point` or `Point class`.
    pub class_name: String,
    /// All instance variable names, inherited ones first, in slot order.
    pub instance_variables: Vec<String>,
}

/// The kind of storage a class's instances have (`<shape: ...>` in bracket
/// syntax; the `variableSubclass:` family in the message form).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Named slots only, or whatever the superclass has (`#inherit`, the default).
    Inherit,
    /// Named slots only.
    Fixed,
    /// Named slots plus indexed pointer slots (`#pointer`).
    Pointers,
    /// Indexed bytes (`#byte`).
    Bytes,
    /// Indexed 32-bit words (`#word`).
    Words,
    /// Indexed pointer slots held weakly (`#weak`).
    Weak,
}

/// One top-level item of a source file, in file order.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// Statements to run now. Top-level temps declared before them are listed
    /// in `declared`; they become workspace variables.
    DoIt(DoIt),
    /// `Super subclass: Name [ ... ]`: define or redefine a class, then install
    /// its methods.
    ClassDefinition(ClassDefinition),
    /// `Name extend [ ... ]` or `Name class extend [ ... ]`.
    Extension(Extension),
}

/// Statements compiled as a method of no arguments answering the last value.
#[derive(Debug, Clone, PartialEq)]
pub struct DoIt {
    /// Names of top-level temps this item declares (`| a b |` at top level or
    /// in an `Eval [ ]`'s outer scope, when they must outlive the item).
    pub declared: Vec<String>,
    /// The compiled statements. Free variables are `Literal::Binding`s.
    pub code: CompiledCode,
}

/// A bracket-syntax class definition.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassDefinition {
    pub superclass: String,
    pub name: String,
    pub shape: Shape,
    /// Instance variables this class adds (not the inherited ones).
    pub instance_variables: Vec<String>,
    /// Class variables with their initialisers (`Name := expr.`), in order.
    pub class_variables: Vec<ClassVariable>,
    /// Class-side instance variables (`Name class [ | a b | ]`).
    pub class_instance_variables: Vec<String>,
    /// `<comment: '...'>` in the class body.
    pub comment: Option<String>,
    /// `<category: '...'>` in the class body.
    pub category: Option<String>,
    pub methods: Vec<MethodSource>,
}

/// A class variable of a bracket-syntax class definition.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassVariable {
    pub name: String,
    /// The initialiser's source text and where it starts, to be compiled
    /// with [`crate::compile_doit`] after the class exists.
    pub initializer: Option<SourceText>,
}

/// `Name extend [ ... ]` / `Name class extend [ ... ]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Extension {
    pub class_name: String,
    pub class_side: bool,
    /// Instance variables added by `| a |` inside the extension.
    pub instance_variables: Vec<String>,
    pub methods: Vec<MethodSource>,
}

/// A piece of source text and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceText {
    pub text: String,
    pub origin: Origin,
}

/// A method found in a class body, not compiled yet: it can only be compiled
/// once its class exists, because its instance variables come from the VM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodSource {
    /// Whether it goes on the class side (`Foo class >> sel [ ]`).
    pub class_side: bool,
    /// The method as written: `pattern [ body ]` in bracket syntax,
    /// `pattern body` in a chunk file (see `syntax`).
    pub source: SourceText,
    /// Which form `source` is in; pass it to [`crate::compile_method`].
    pub syntax: crate::MethodSyntax,
}
