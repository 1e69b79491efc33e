//! Turns the compiler's descriptions into heap objects: compiled code with
//! its literals and bindings, classes from definitions, methods into method
//! dictionaries.
//!
//! Nothing here runs Smalltalk code, so nothing here reaches a safe point:
//! Oops held in locals stay valid throughout.

use smalt_compiler::{ClassScope, CompiledCode, Literal, Shape};

use crate::heap::{Format, Oop};
use crate::objects::layout::{self, class, code, fraction, scaled_decimal, special, KnownClass};
use crate::objects::memory::{InstanceSpec, ObjectMemory};
use crate::VmError;

/// Where the free variables of code are looked up.
#[derive(Debug, Clone, Copy)]
pub enum BindingScope {
    /// A method of this class (instance side; class-side code passes the
    /// instance-side class): class pools up the chain, then Smalltalk.
    Class(Oop),
    /// Top-level code: workspace variables, then Smalltalk; an unknown
    /// lower-case name becomes a workspace variable.
    Workspace,
}

/// Whether a method's stored source is in bracket or classic syntax
/// (kept in its properties so it can be recompiled).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceSyntax {
    Bracket,
    Classic,
    DoIt,
}

impl SourceSyntax {
    fn symbol_name(self) -> &'static str {
        match self {
            SourceSyntax::Bracket => "bracket",
            SourceSyntax::Classic => "classic",
            SourceSyntax::DoIt => "doit",
        }
    }
}

/// A class definition, from bracket syntax or from `subclass:instanceVariableNames:...`.
#[derive(Debug, Clone)]
pub struct ClassSpec {
    pub name: String,
    pub superclass: Oop,
    pub shape: Shape,
    /// Instance variables this class adds.
    pub instance_variables: Vec<String>,
    pub class_variables: Vec<String>,
    /// Class-side instance variables this class adds (None: keep what it has).
    pub class_instance_variables: Option<Vec<String>>,
    pub category: Option<String>,
    pub comment: Option<String>,
}

/// What the expected layout of a known class is, if the VM reads its slots.
fn required_ivars(known: KnownClass) -> Option<Vec<&'static str>> {
    let cls = || {
        let mut v: Vec<&str> = class::BEHAVIOR_IVARS.to_vec();
        v.extend(class::CLASS_DESCRIPTION_IVARS);
        v
    };
    Some(match known {
        KnownClass::Behavior => class::BEHAVIOR_IVARS.to_vec(),
        KnownClass::ClassDescription => cls(),
        KnownClass::Class => {
            let mut v = cls();
            v.extend(class::CLASS_IVARS);
            v
        }
        KnownClass::Metaclass => {
            let mut v = cls();
            v.extend(class::METACLASS_IVARS);
            v
        }
        KnownClass::Context => layout::context::IVARS.to_vec(),
        KnownClass::BlockClosure => layout::closure::IVARS.to_vec(),
        KnownClass::Association => layout::association::IVARS.to_vec(),
        KnownClass::Message => layout::message::IVARS.to_vec(),
        KnownClass::Point => layout::point::IVARS.to_vec(),
        KnownClass::Fraction => fraction::IVARS.to_vec(),
        KnownClass::ScaledDecimal => scaled_decimal::IVARS.to_vec(),
        KnownClass::MethodDictionary => layout::method_dict::IVARS.to_vec(),
        KnownClass::Dictionary | KnownClass::SystemDictionary => layout::dictionary::IVARS.to_vec(),
        KnownClass::Array
        | KnownClass::String
        | KnownClass::Symbol
        | KnownClass::ByteArray
        | KnownClass::WideString
        | KnownClass::Float
        | KnownClass::LargePositiveInteger
        | KnownClass::LargeNegativeInteger
        | KnownClass::CompiledMethod
        | KnownClass::CompiledBlock
        | KnownClass::UndefinedObject
        | KnownClass::True
        | KnownClass::False
        | KnownClass::SmallInteger
        | KnownClass::Character => Vec::new(),
        KnownClass::Object | KnownClass::Boolean | KnownClass::Process => return None,
    })
}

/// The instance format a known class must have regardless of its declared shape.
fn forced_format(known: KnownClass) -> Option<Format> {
    match known {
        KnownClass::Float => Some(Format::Words64),
        KnownClass::CompiledMethod | KnownClass::CompiledBlock => Some(Format::Code { unused: 0 }),
        KnownClass::String | KnownClass::Symbol | KnownClass::ByteArray => Some(Format::Bytes { unused: 0 }),
        KnownClass::LargePositiveInteger | KnownClass::LargeNegativeInteger => Some(Format::Bytes { unused: 0 }),
        KnownClass::WideString => Some(Format::Words32 { unused: 0 }),
        KnownClass::Array => Some(Format::Indexable),
        KnownClass::Context | KnownClass::BlockClosure | KnownClass::MethodDictionary => Some(Format::FixedIndexable),
        _ => None,
    }
}

impl ObjectMemory {
    /// The full instance spec for a class with `fixed` named slots and this shape,
    /// under a superclass with `super_spec`.
    fn spec_for(&self, shape: Shape, super_spec: InstanceSpec, fixed: usize) -> Result<InstanceSpec, String> {
        let super_format = Format::from_code(super_spec.format_code).unwrap_or(Format::Empty);
        let pointers = |indexable: bool| {
            let f = match (indexable, fixed) {
                (false, 0) => Format::Empty,
                (false, _) => Format::Fixed,
                (true, 0) => Format::Indexable,
                (true, _) => Format::FixedIndexable,
            };
            f.code()
        };
        let code = match shape {
            Shape::Fixed => pointers(false),
            Shape::Pointers => pointers(true),
            Shape::Weak => Format::Weak.code(),
            Shape::Bytes | Shape::Words if fixed > 0 => {
                return Err("a byte or word class cannot have named instance variables".into())
            }
            Shape::Bytes => Format::Bytes { unused: 0 }.code(),
            Shape::Words => Format::Words32 { unused: 0 }.code(),
            Shape::Inherit => match super_format {
                Format::Empty | Format::Fixed => pointers(false),
                Format::Indexable | Format::FixedIndexable => pointers(true),
                Format::Weak => Format::Weak.code(),
                other if fixed > super_spec.fixed => {
                    return Err(format!(
                        "cannot add named instance variables to a subclass of a {} class",
                        if other.is_bits() { "byte or word" } else { "compiled-code" }
                    ))
                }
                other => other.code(),
            },
        };
        Ok(InstanceSpec { fixed, format_code: code })
    }

    /// Defines a class, or redefines one keeping its identity, methods and
    /// instances (whose shape is migrated when the instance variables change).
    /// The error is a sentence naming what was wrong.
    pub fn define_class(&mut self, spec: &ClassSpec) -> Result<Oop, DefineError> {
        let nil = self.nil();
        let mut all_ivars =
            if spec.superclass == nil { Vec::new() } else { self.instance_variable_names(spec.superclass) };
        for ivar in &spec.instance_variables {
            if all_ivars.contains(ivar) {
                return Err(DefineError::new(format!(
                    "{}: instance variable '{}' is already defined in a superclass",
                    spec.name, ivar
                )));
            }
            all_ivars.push(ivar.clone());
        }
        let super_spec = if spec.superclass == nil {
            InstanceSpec { fixed: 0, format_code: 0 }
        } else {
            self.instance_spec(spec.superclass)
        };
        let mut inst_spec = self
            .spec_for(spec.shape, super_spec, all_ivars.len())
            .map_err(|m| DefineError::new(format!("{}: {m}", spec.name)))?;
        let known = KnownClass::named(&spec.name);
        if let Some(known) = known {
            if let Some(required) = required_ivars(known) {
                if all_ivars.iter().map(String::as_str).ne(required.iter().copied()) {
                    return Err(DefineError::new(format!(
                        "{} must have the instance variables ({}) the VM relies on, found ({})",
                        spec.name,
                        required.join(" "),
                        all_ivars.join(" ")
                    )));
                }
            }
            if let Some(format) = forced_format(known) {
                inst_spec.format_code = format.code();
            }
        }

        let name_symbol = self.intern(&spec.name)?;
        let smalltalk = self.special_object(special::SMALLTALK);
        let existing = self
            .dictionary_binding(smalltalk, name_symbol)
            .map(|b| self.heap.fetch(b, layout::association::VALUE))
            .filter(|&v| self.is_behavior(v) && !self.is_metaclass(v));

        let class_oop = match existing {
            Some(existing) => {
                self.redefine_class(existing, spec, &all_ivars, inst_spec)?;
                existing
            }
            None => {
                let class_class = self.class_class();
                let mut class_slots = if spec.superclass == nil {
                    class::CLASS_SLOTS
                } else {
                    self.instance_spec(self.class_of(spec.superclass)).fixed
                };
                class_slots += spec.class_instance_variables.as_ref().map_or(0, Vec::len);
                let class_oop = self.make_class(
                    &spec.name,
                    spec.superclass,
                    inst_spec,
                    &all_ivars,
                    class_slots.max(class::CLASS_SLOTS),
                    known.map(KnownClass::index),
                    class_class,
                )?;
                if let Some(civars) = &spec.class_instance_variables {
                    let meta = self.class_of(class_oop);
                    let mut names = self.instance_variable_names(meta);
                    names.extend(civars.iter().cloned());
                    let arr = self.string_array(&names)?;
                    self.heap.store(meta, class::INSTANCE_VARIABLES, arr);
                }
                self.declare_global(name_symbol, class_oop)?;
                class_oop
            }
        };

        if let Some(category) = &spec.category {
            let s = self.new_string(category)?;
            self.heap.store(class_oop, class::CATEGORY, s);
        }
        if let Some(comment) = &spec.comment {
            let s = self.new_string(comment)?;
            self.heap.store(class_oop, class::COMMENT, s);
        }
        for var in &spec.class_variables {
            self.declare_class_variable(class_oop, var)?;
        }
        Ok(class_oop)
    }

    /// Binds `name` in Smalltalk to `value`, taking over the binding from
    /// Undeclared if code referred to the name before it existed.
    pub fn declare_global(&mut self, name: Oop, value: Oop) -> Result<Oop, VmError> {
        let smalltalk = self.special_object(special::SMALLTALK);
        if let Some(binding) = self.dictionary_binding(smalltalk, name) {
            self.heap.store(binding, layout::association::VALUE, value);
            return Ok(binding);
        }
        let undeclared = self.special_object(special::UNDECLARED);
        if let Some(binding) = self.dictionary_remove(undeclared, name) {
            self.heap.store(binding, layout::association::VALUE, value);
            self.dictionary_add(smalltalk, binding)?;
            return Ok(binding);
        }
        self.dictionary_at_put(smalltalk, name, value)
    }

    /// Adds a class variable (nil) unless the class already has it; answers its binding.
    pub fn declare_class_variable(&mut self, class_oop: Oop, name: &str) -> Result<Oop, VmError> {
        let mut pool = self.heap.fetch(class_oop, class::CLASS_POOL);
        if pool == self.nil() {
            pool = self.new_dictionary(KnownClass::Dictionary, 8)?;
            self.heap.store(class_oop, class::CLASS_POOL, pool);
        }
        let symbol = self.intern(name)?;
        match self.dictionary_binding(pool, symbol) {
            Some(b) => Ok(b),
            None => {
                let nil = self.nil();
                self.dictionary_at_put(pool, symbol, nil)
            }
        }
    }

    fn redefine_class(
        &mut self,
        class_oop: Oop,
        spec: &ClassSpec,
        all_ivars: &[String],
        inst_spec: InstanceSpec,
    ) -> Result<(), DefineError> {
        let old_super = self.superclass_of(class_oop);
        if old_super != spec.superclass {
            if self.inherits_from(spec.superclass, class_oop) {
                return Err(DefineError::new(format!("{} cannot be its own superclass", spec.name)));
            }
            if old_super != self.nil() {
                self.remove_subclass(old_super, class_oop)?;
            }
            self.heap.store(class_oop, class::SUPERCLASS, spec.superclass);
            if spec.superclass != self.nil() {
                self.add_subclass(spec.superclass, class_oop)?;
                let meta = self.class_of(class_oop);
                let super_meta = self.class_of(spec.superclass);
                self.heap.store(meta, class::SUPERCLASS, super_meta);
            }
        }
        let old_ivars = self.instance_variable_names(class_oop);
        let old_spec = self.instance_spec(class_oop);
        if old_ivars != all_ivars || old_spec != inst_spec {
            self.reshape_class(class_oop, all_ivars, inst_spec)?;
        }
        if let Some(civars) = &spec.class_instance_variables {
            let meta = self.class_of(class_oop);
            let meta_super = self.superclass_of(meta);
            let mut names = self.instance_variable_names(meta_super);
            names.extend(civars.iter().cloned());
            if names != self.instance_variable_names(meta) {
                let fixed = names.len();
                self.reshape_class(meta, &names, InstanceSpec { fixed, format_code: Format::Fixed.code() })?;
            }
        }
        Ok(())
    }

    /// Gives a class a new list of instance variables and instance format,
    /// migrating its instances (slots carried over by name), then does the
    /// same for every subclass. Methods are left for the caller to recompile.
    fn reshape_class(&mut self, class_oop: Oop, all_ivars: &[String], spec: InstanceSpec) -> Result<(), DefineError> {
        // An explicit work list: subclass trees are walked without recursion.
        let mut work = vec![(class_oop, all_ivars.to_vec(), spec)];
        while let Some((cls, ivars, new_spec)) = work.pop() {
            let old_ivars = self.instance_variable_names(cls);
            let old_spec = self.instance_spec(cls);
            let arr = self.string_array(&ivars)?;
            self.heap.store(cls, class::INSTANCE_VARIABLES, arr);
            self.heap.store(cls, class::FORMAT, Oop::small_integer(new_spec.encode()));
            self.migrate_instances(cls, &old_ivars, old_spec, &ivars, new_spec)?;
            self.add_reshaped_class(cls);
            for sub in self.subclasses_of(cls) {
                let sub_old = self.instance_variable_names(sub);
                let own: Vec<String> = sub_old.iter().skip(old_ivars.len()).cloned().collect();
                let mut sub_ivars = ivars.clone();
                sub_ivars.extend(own);
                let sub_old_spec = self.instance_spec(sub);
                let fmt = Format::from_code(sub_old_spec.format_code).unwrap_or(Format::Empty);
                let sub_shape = match fmt {
                    Format::Indexable | Format::FixedIndexable => Shape::Pointers,
                    Format::Weak => Shape::Weak,
                    Format::Empty | Format::Fixed => Shape::Fixed,
                    _ => Shape::Inherit,
                };
                let sub_spec = self
                    .spec_for(sub_shape, new_spec, sub_ivars.len())
                    .map_err(|m| DefineError::new(format!("{}: {m}", self.class_name(sub))))?;
                work.push((sub, sub_ivars, sub_spec));
            }
        }
        Ok(())
    }

    fn migrate_instances(
        &mut self,
        cls: Oop,
        old_ivars: &[String],
        old_spec: InstanceSpec,
        new_ivars: &[String],
        new_spec: InstanceSpec,
    ) -> Result<(), VmError> {
        let index = self.index_of_class(cls);
        let mut instances = Vec::new();
        self.heap.for_each_object(|oop| instances.push(oop));
        instances.retain(|&o| self.heap.class_index_of(o) == index);
        if instances.is_empty() {
            return Ok(());
        }
        let new_format = Format::from_code(new_spec.format_code).unwrap_or(Format::Fixed);
        let mut pairs = Vec::with_capacity(instances.len());
        for old in instances {
            if !self.heap.format_of(old).is_pointers() || !new_format.is_pointers() {
                continue;
            }
            let indexed = self.heap.num_slots(old).saturating_sub(old_spec.fixed);
            let fresh = self.allocate_indexed(index, new_format, new_spec.fixed + indexed)?;
            for (new_i, name) in new_ivars.iter().enumerate() {
                if let Some(old_i) = old_ivars.iter().position(|n| n == name) {
                    let v = self.heap.fetch(old, old_i);
                    self.heap.store(fresh, new_i, v);
                }
            }
            for i in 0..indexed {
                let v = self.heap.fetch(old, old_spec.fixed + i);
                self.heap.store(fresh, new_spec.fixed + i, v);
            }
            let hash = self.heap.identity_hash(old);
            let header = self.heap.header(fresh).with_identity_hash(hash);
            self.heap.set_header(fresh, header);
            pairs.push((old, fresh));
        }
        self.pending_forwards.extend(pairs);
        Ok(())
    }

    fn add_reshaped_class(&mut self, cls: Oop) {
        self.reshaped_classes.push(cls);
    }

    // ----- compiled code -----

    /// Makes a CompiledMethod (or CompiledBlock) from a description.
    /// `owner` is the class for a method, the enclosing code for a block.
    pub fn install_code(
        &mut self,
        desc: &CompiledCode,
        owner: Oop,
        scope: BindingScope,
        syntax: SourceSyntax,
        file: &str,
    ) -> Result<Oop, VmError> {
        let pointer_slots = code::FIRST_LITERAL - 1 + desc.literals.len();
        if pointer_slots > code::MAX_LITERAL_SLOTS
            || desc.max_stack as usize > code::MAX_STACK
            || desc.primitive as usize > code::MAX_PRIMITIVE
        {
            return Err(VmError::CodeTooLarge { selector: desc.selector.clone() });
        }
        let byte_slots = desc.bytecodes.len().div_ceil(8);
        let class = if desc.is_block { KnownClass::CompiledBlock } else { KnownClass::CompiledMethod };
        let method = self.allocate(class, Format::code_for(desc.bytecodes.len()), 1 + pointer_slots + byte_slots)?;
        let header = code::header(
            pointer_slots,
            desc.num_args as usize,
            desc.num_temps as usize,
            desc.max_stack as usize,
            desc.primitive as usize,
        );
        self.heap.store(method, code::HEADER, Oop::small_integer(header));
        // The heap zeroes code objects; every pointer slot must hold an object.
        let nil = self.nil();
        for slot in 1..=pointer_slots {
            self.heap.store(method, slot, nil);
        }
        let start = (1 + pointer_slots) * 8;
        self.heap.bytes_mut(method)[start..start + desc.bytecodes.len()].copy_from_slice(&desc.bytecodes);

        let selector = self.intern(&desc.selector)?;
        self.heap.store(method, code::SELECTOR, selector);
        self.heap.store(method, code::METHOD_CLASS, owner);
        if !desc.source.is_empty() {
            let source = self.new_string(&desc.source)?;
            self.heap.store(method, code::SOURCE, source);
        }
        if !desc.lines.is_empty() {
            let mut bytes = Vec::with_capacity(desc.lines.len() * 8);
            for (pc, line) in &desc.lines {
                bytes.extend_from_slice(&pc.to_le_bytes());
                bytes.extend_from_slice(&line.to_le_bytes());
            }
            let table = self.new_bytes(KnownClass::ByteArray, &bytes)?;
            self.heap.store(method, code::LINES, table);
        }
        if !desc.is_block {
            let properties = self.code_properties(desc, syntax, file)?;
            self.heap.store(method, code::PROPERTIES, properties);
        }
        for (i, literal) in desc.literals.iter().enumerate() {
            let value = match literal {
                Literal::Block(block) => self.install_code(block, method, scope, syntax, file)?,
                Literal::Binding(name) => self.resolve_binding(name, scope)?,
                other => self.literal_object(other)?,
            };
            self.heap.store(method, code::FIRST_LITERAL + i, value);
        }
        Ok(method)
    }

    /// `{category. fileName. pragmas. syntax. firstLine}`; the first line (of
    /// the method's source in its file) is set by whoever compiled it from
    /// a file, so that recompiling it keeps its line numbers.
    fn code_properties(&mut self, desc: &CompiledCode, syntax: SourceSyntax, file: &str) -> Result<Oop, VmError> {
        let category =
            desc.pragmas.iter().find(|p| p.selector == "category:").and_then(|p| match p.arguments.first() {
                Some(Literal::String(s)) | Some(Literal::Symbol(s)) => Some(s.clone()),
                _ => None,
            });
        let category = match category {
            Some(c) => self.new_string(&c)?,
            None => self.nil(),
        };
        let file = self.new_string(file)?;
        let mut pragmas = Vec::new();
        for pragma in &desc.pragmas {
            let mut items = vec![self.intern(&pragma.selector)?];
            for arg in &pragma.arguments {
                items.push(self.literal_object(arg)?);
            }
            pragmas.push(self.new_array_from(&items)?);
        }
        let pragmas = self.new_array_from(&pragmas)?;
        let syntax = self.intern(syntax.symbol_name())?;
        let nil = self.nil();
        self.new_array_from(&[category, file, pragmas, syntax, nil])
    }

    /// The object for a constant literal.
    pub fn literal_object(&mut self, literal: &Literal) -> Result<Oop, VmError> {
        // Literal arrays nest only as deep as the source text does; an explicit
        // stack keeps even absurd nesting off the Rust stack.
        Ok(match literal {
            Literal::Nil => self.nil(),
            Literal::True => self.true_object(),
            Literal::False => self.false_object(),
            Literal::Integer(v) => self.new_integer(v)?,
            Literal::Float(f) => self.new_float(*f)?,
            Literal::ScaledDecimal { numerator, denominator, scale } => {
                let num = self.new_integer(numerator)?;
                let value = if *denominator == num_bigint::BigInt::from(1) {
                    num
                } else {
                    let den = self.new_integer(denominator)?;
                    let f = self.allocate(KnownClass::Fraction, Format::Fixed, 2)?;
                    self.heap.store(f, fraction::NUMERATOR, num);
                    self.heap.store(f, fraction::DENOMINATOR, den);
                    f
                };
                let sd = self.allocate(KnownClass::ScaledDecimal, Format::Fixed, 2)?;
                self.heap.store(sd, scaled_decimal::FRACTION, value);
                self.heap.store(sd, scaled_decimal::SCALE, Oop::small_integer(*scale as i64));
                sd
            }
            Literal::Character(c) => Oop::character(*c as u32),
            Literal::String(s) => self.new_string(s)?,
            Literal::Symbol(s) => self.intern(s)?,
            Literal::ByteArray(bytes) => self.new_bytes(KnownClass::ByteArray, bytes)?,
            Literal::Array(items) => {
                let mut oops = Vec::with_capacity(items.len());
                for item in items {
                    oops.push(self.literal_object(item)?);
                }
                self.new_array_from(&oops)?
            }
            Literal::Binding(name) => self.resolve_binding(name, BindingScope::Workspace)?,
            Literal::Block(_) => self.nil(),
        })
    }

    /// The binding (an Association) a free variable named `name` refers to.
    pub fn resolve_binding(&mut self, name: &str, scope: BindingScope) -> Result<Oop, VmError> {
        let symbol = self.intern(name)?;
        if let BindingScope::Class(mut cls) = scope {
            if self.is_metaclass(cls) {
                cls = self.heap.fetch(cls, class::THIS_CLASS);
            }
            while cls != self.nil() {
                let pool = self.heap.fetch(cls, class::CLASS_POOL);
                if pool != self.nil() {
                    if let Some(b) = self.dictionary_binding(pool, symbol) {
                        return Ok(b);
                    }
                }
                cls = self.superclass_of(cls);
            }
        }
        let workspace = self.special_object(special::WORKSPACE);
        if let BindingScope::Workspace = scope {
            if let Some(b) = self.dictionary_binding(workspace, symbol) {
                return Ok(b);
            }
        }
        let smalltalk = self.special_object(special::SMALLTALK);
        if let Some(b) = self.dictionary_binding(smalltalk, symbol) {
            return Ok(b);
        }
        let undeclared = self.special_object(special::UNDECLARED);
        if let Some(b) = self.dictionary_binding(undeclared, symbol) {
            return Ok(b);
        }
        let nil = self.nil();
        let starts_lower = name.chars().next().is_some_and(|c| !c.is_uppercase());
        if matches!(scope, BindingScope::Workspace) && starts_lower {
            self.dictionary_at_put(workspace, symbol, nil)
        } else {
            self.dictionary_at_put(undeclared, symbol, nil)
        }
    }

    /// Declares workspace variables (top-level temps), keeping existing values.
    pub fn declare_workspace_variables(&mut self, names: &[String]) -> Result<(), VmError> {
        let workspace = self.special_object(special::WORKSPACE);
        for name in names {
            let symbol = self.intern(name)?;
            if self.dictionary_binding(workspace, symbol).is_none() {
                let nil = self.nil();
                self.dictionary_at_put(workspace, symbol, nil)?;
            }
        }
        Ok(())
    }

    /// Installs `method` in `cls` under its selector.
    pub fn add_method(&mut self, cls: Oop, method: Oop) -> Result<(), VmError> {
        let selector = self.heap.fetch(method, code::SELECTOR);
        let md = self.heap.fetch(cls, class::METHOD_DICT);
        let md = self.method_dict_at_put(md, selector, method)?;
        self.heap.store(cls, class::METHOD_DICT, md);
        Ok(())
    }

    /// What the compiler must know to compile a method of `cls`.
    pub fn class_scope(&self, cls: Oop) -> ClassScope {
        ClassScope { class_name: self.class_name(cls), instance_variables: self.instance_variable_names(cls) }
    }
}

/// A class definition that cannot be carried out, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefineError(pub String);

impl DefineError {
    pub fn new(message: String) -> DefineError {
        DefineError(message)
    }
}

impl From<VmError> for DefineError {
    fn from(e: VmError) -> DefineError {
        DefineError(e.to_string())
    }
}
