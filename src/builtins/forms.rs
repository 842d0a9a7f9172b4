//! What the functions and methods take and give: each built-in has one or more *forms*,
//! a list of parameters and a return type. The checker reads them for arity and types,
//! the compiler for what gives a double, and messages for the prose signature, which is
//! generated from them.

use crate::builtins::types::{Type, TypeSet};

/// A parameter of a built-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param {
    /// How the signature writes it: `double`, `doubleVec v`, `time1`.
    pub text: &'static str,
    /// The types it takes.
    pub types: TypeSet,
    /// A `doubleVecList`: any number of arguments (none too), each a double or a
    /// doubleVec, flattened into one list \[doc\]. Only ever the one parameter of its form.
    pub list: bool,
}

impl Param {
    /// A parameter of one argument.
    pub const fn one(text: &'static str, types: TypeSet) -> Param {
        Param {
            text,
            types,
            list: false,
        }
    }
}

/// `doubleVecList`: the list every aggregate takes.
pub const LIST: Param = Param {
    text: "doubleVecList",
    types: TypeSet::LIST_ITEM,
    list: true,
};

/// One way to call a built-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Form {
    /// Its parameters, in order.
    pub params: &'static [Param],
    /// What a call of this form gives.
    pub returns: Type,
}

impl Form {
    /// A form of these parameters and return type.
    pub const fn new(params: &'static [Param], returns: Type) -> Form {
        Form { params, returns }
    }

    /// Whether the form is `f(doubleVecList)`.
    pub fn is_list(&self) -> bool {
        matches!(self.params, [p] if p.list)
    }

    /// Whether `n` arguments fit this form.
    pub fn takes(&self, n: usize) -> bool {
        self.is_list() || self.params.len() == n
    }

    /// The type each of `n` arguments may have under this form.
    fn param_types(&self, n: usize) -> impl Iterator<Item = TypeSet> + '_ {
        (0..n).map(|i| match self.params {
            [p] if p.list => p.types,
            params => params[i].types,
        })
    }

    /// `name(p1, p2)`.
    fn text(&self, name: &str) -> String {
        let params: Vec<&str> = self.params.iter().map(|p| p.text).collect();
        format!("{name}({})", params.join(", "))
    }
}

/// A built-in's forms, seen together.
#[derive(Debug, Clone, Copy)]
pub struct Forms<'a> {
    /// The built-in's name, as a formula writes it.
    pub name: &'a str,
    /// Its forms, in the order that picks one: the first that fits the arguments.
    pub forms: &'a [Form],
}

impl Forms<'_> {
    /// The documented signature: `lg(double) or lg(doubleVecList)`.
    pub fn signature(&self) -> String {
        or_list(self.forms.iter().map(|f| f.text(self.name)))
    }

    /// Whether some form takes `n` arguments.
    pub fn takes(&self, n: usize) -> bool {
        self.forms.iter().any(|f| f.takes(n))
    }

    /// Whether the built-in takes any number of arguments (it has a list form).
    pub fn has_list(&self) -> bool {
        self.forms.iter().any(Form::is_list)
    }

    /// The argument counts the forms take, ascending (a list form: none listed).
    pub fn counts(&self) -> Vec<usize> {
        let mut counts: Vec<usize> = self
            .forms
            .iter()
            .filter(|f| !f.is_list())
            .map(|f| f.params.len())
            .collect();
        counts.sort_unstable();
        counts.dedup();
        counts
    }

    /// How many arguments the built-in takes, for messages: `no arguments`, `2 arguments`,
    /// `1 or 2 arguments`, `1 to 3 arguments`, `no argument or one string`.
    pub fn arity_text(&self) -> String {
        match self.counts().as_slice() {
            [0] => "no arguments".to_string(),
            [n] => format!("{n} arguments"),
            [0, 1] => {
                let one = self.forms.iter().find(|f| f.params.len() == 1);
                format!(
                    "no argument or one {}",
                    one.map_or("", |f| f.params[0].text)
                )
            }
            [n, m] => format!("{n} or {m} arguments"),
            [first, .., last] => format!("{first} to {last} arguments"),
            [] => "no valid arguments".to_string(),
        }
    }

    /// The types each of `n` arguments may have: for each position, what some form of `n`
    /// arguments takes there. `None` when no form takes `n` arguments.
    pub fn param_types(&self, n: usize) -> Option<Vec<TypeSet>> {
        let mut types: Option<Vec<TypeSet>> = None;
        for form in self.forms.iter().filter(|f| f.takes(n)) {
            let these = form.param_types(n);
            types = Some(match types {
                None => these.collect(),
                Some(known) => known.iter().zip(these).map(|(a, b)| a.union(b)).collect(),
            });
        }
        types
    }

    /// What a call of `n` arguments gives when that does not depend on their types: the
    /// one type every form taking `n` arguments gives.
    pub fn return_for(&self, n: usize) -> Option<Type> {
        let mut fitting = self.forms.iter().filter(|f| f.takes(n));
        let first = fitting.next()?.returns;
        fitting.all(|f| f.returns == first).then_some(first)
    }

    /// What a call with arguments of types `args` may give. When every form gives one
    /// type, that type (whatever the arguments); else, for each combination of the
    /// arguments' possible types, what the first form that takes them gives [doc: "one
    /// argument of type double picks the scalar form"].
    pub fn result_type(&self, args: &[TypeSet]) -> TypeSet {
        if let Some(first) = self.forms.first()
            && self.forms.iter().all(|f| f.returns == first.returns)
        {
            return TypeSet::of(first.returns);
        }
        let mut fitting = self.forms.iter().filter(|f| f.takes(args.len()));
        if let Some(first) = fitting.clone().next()
            && fitting.all(|f| f.returns == first.returns)
        {
            return TypeSet::of(first.returns);
        }
        let fitting: Vec<&Form> = self.forms.iter().filter(|f| f.takes(args.len())).collect();
        // Several forms of this many arguments give different types (only `f(double)` and
        // `f(doubleVecList)` with one argument): pick a form for each argument type.
        let mut result = TypeSet::UNKNOWN;
        let mut combination = vec![Type::Double; args.len()];
        self.each_combination(args, 0, &mut combination, &fitting, &mut result);
        result
    }

    fn each_combination(
        &self,
        args: &[TypeSet],
        at: usize,
        combination: &mut Vec<Type>,
        fitting: &[&Form],
        result: &mut TypeSet,
    ) {
        if at == args.len() {
            let picked = fitting.iter().find(|f| {
                f.param_types(combination.len())
                    .zip(combination.iter())
                    .all(|(types, t)| types.contains(*t))
            });
            if let Some(form) = picked {
                result.insert(form.returns);
            }
            return;
        }
        for t in args[at].iter() {
            combination[at] = t;
            self.each_combination(args, at + 1, combination, fitting, result);
        }
    }
}

/// `a, b or c`.
pub fn or_list(items: impl IntoIterator<Item = impl AsRef<str>>) -> String {
    let items: Vec<String> = items.into_iter().map(|s| s.as_ref().to_string()).collect();
    match items.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}
