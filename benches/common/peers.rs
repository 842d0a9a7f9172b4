//! The peer engines and the scalar logic every engine evaluates, written in each syntax.

use batchscale::Outcome;
use batchscale::Snapshot;
use batchscale::time::Timestamp;
use fasteval2::{Compiler as _, Evaler as _};

/// Inputs cycle through 0..=150 so that every branch is taken.
pub const INPUTS: usize = 151;

pub fn input(i: usize) -> f64 {
    (i % INPUTS) as f64
}

/// One piece of logic written in each engine's syntax (`None`: the engine cannot say it).
pub struct Case {
    pub name: &'static str,
    pub baseline: fn(f64) -> f64,
    pub batchscale: &'static str,
    pub fasteval: Option<&'static str>,
    pub cel: Option<&'static str>,
    pub evalexpr: &'static str,
    pub rhai: &'static str,
}

fn ternary(x: f64) -> f64 {
    if x.max(10.0) > 70.0 { 4.0 } else { 2.0 }
}

fn arith(x: f64) -> f64 {
    if (x * 1.5 + 3.0) / 2.0 - 4.0 > 20.0 && x * 3.0 < 250.0 {
        x * 2.0 + 1.0
    } else {
        x / 2.0 - 1.0
    }
}

fn statements(x: f64) -> f64 {
    let mut t = x * 2.0;
    t += 10.0;
    t = if t > 100.0 { t - 50.0 } else { t + 5.0 };
    let u = t / 4.0 + x;
    u.min(40.0)
}

pub const CASES: &[Case] = &[
    Case {
        name: "ternary",
        baseline: ternary,
        batchscale: "$TargetDedicatedNodes = max($CurrentDedicatedNodes, 10) > 70 ? 4 : 2",
        // No ternary in fasteval: `c && a || b` stands in because `a` is never zero.
        fasteval: Some("(max(x, 10) > 70) && 4 || 2"),
        cel: Some("max(x, 10.0) > 70.0 ? 4.0 : 2.0"),
        evalexpr: "if(max(x, 10.0) > 70.0, 4.0, 2.0)",
        rhai: "if max(x, 10.0) > 70.0 { 4.0 } else { 2.0 }",
    },
    Case {
        name: "arith",
        baseline: arith,
        batchscale: "$TargetDedicatedNodes = ($CurrentDedicatedNodes * 1.5 + 3) / 2 - 4 > 20 && $CurrentDedicatedNodes * 3 < 250 ? $CurrentDedicatedNodes * 2 + 1 : $CurrentDedicatedNodes / 2 - 1",
        // `x * 2 + 1` is never zero for x >= 0, so `c && a || b` is `c ? a : b`.
        fasteval: Some("((x * 1.5 + 3) / 2 - 4 > 20 && x * 3 < 250) && (x * 2 + 1) || (x / 2 - 1)"),
        cel: Some(
            "(x * 1.5 + 3.0) / 2.0 - 4.0 > 20.0 && x * 3.0 < 250.0 ? x * 2.0 + 1.0 : x / 2.0 - 1.0",
        ),
        evalexpr: "if((x * 1.5 + 3.0) / 2.0 - 4.0 > 20.0 && x * 3.0 < 250.0, x * 2.0 + 1.0, x / 2.0 - 1.0)",
        rhai: "if (x * 1.5 + 3.0) / 2.0 - 4.0 > 20.0 && x * 3.0 < 250.0 { x * 2.0 + 1.0 } else { x / 2.0 - 1.0 }",
    },
    Case {
        name: "statements",
        baseline: statements,
        batchscale: "t = $CurrentDedicatedNodes * 2;\n\
                     t = t + 10;\n\
                     t = t > 100 ? t - 50 : t + 5;\n\
                     u = t / 4 + $CurrentDedicatedNodes;\n\
                     $TargetDedicatedNodes = min(u, 40)",
        // Neither has statements or assignment.
        fasteval: None,
        cel: None,
        evalexpr: "t = x * 2.0; t = t + 10.0; t = if(t > 100.0, t - 50.0, t + 5.0); u = t / 4.0 + x; min(u, 40.0)",
        rhai: "let t = x * 2.0; t = t + 10.0; t = if t > 100.0 { t - 50.0 } else { t + 5.0 }; let u = t / 4.0 + x; min(u, 40.0)",
    },
];

/// batchscale: the snapshot's `$CurrentDedicatedNodes` is the input.
pub struct Batchscale {
    compiled: super::Compiled,
    snapshot: Snapshot,
    now: Timestamp,
    outcome: Outcome,
}

impl Batchscale {
    pub fn new(text: &str) -> Batchscale {
        let compiled = super::Compiled::new(text);
        let snapshot = super::busy_pool(0);
        let now = super::now();
        let outcome = compiled.outcome(&snapshot, now);
        Batchscale {
            compiled,
            snapshot,
            now,
            outcome,
        }
    }

    pub fn eval(&mut self, x: f64) -> f64 {
        self.snapshot.pool.current_dedicated_nodes = x;
        self.compiled
            .outcome_into(&self.snapshot, self.now, &mut self.outcome);
        super::target_of(&self.outcome, self.compiled.formula.text())
    }

    /// The whole AutoScaleRun, results string and all; the target as the results print it.
    pub fn run(&mut self, x: f64) -> batchscale::AutoScaleRun {
        self.snapshot.pool.current_dedicated_nodes = x;
        self.compiled
            .formula
            .evaluate_at(&self.snapshot, self.now)
            .run
    }
}

pub struct Fasteval {
    slab: fasteval2::Slab,
    instruction: fasteval2::Instruction,
}

impl Fasteval {
    pub fn new(text: &str) -> Fasteval {
        let parser = fasteval2::Parser::new();
        let mut slab = fasteval2::Slab::new();
        let instruction = parser
            .parse(text, &mut slab.ps)
            .expect("fasteval parses")
            .from(&slab.ps)
            .compile(&slab.ps, &mut slab.cs, &mut fasteval2::EmptyNamespace);
        Fasteval { slab, instruction }
    }

    pub fn eval(&self, x: f64) -> f64 {
        // The fastest safe namespace: a closure (no map, no allocation).
        let mut ns = |name: &str, _args: Vec<f64>| (name == "x").then_some(x);
        self.instruction
            .eval(&self.slab, &mut ns)
            .expect("fasteval evaluates")
    }
}

pub struct Cel {
    program: cel::Program,
    context: cel::Context<'static, 'static>,
}

impl Cel {
    pub fn new(text: &str) -> Cel {
        let mut context = cel::Context::default();
        // Not in cel's default environment.
        context
            .add_function("max", cel::functions::max)
            .expect("max can be added");
        Cel {
            program: cel::Program::compile(text).expect("cel compiles"),
            context,
        }
    }

    pub fn eval(&mut self, x: f64) -> f64 {
        self.context.add_variable_from_value("x", x);
        match self.program.execute(&self.context).expect("cel evaluates") {
            cel::Value::Float(y) => y,
            other => panic!("cel gave {other:?}"),
        }
    }
}

pub struct Evalexpr {
    node: evalexpr::Node,
    context: evalexpr::HashMapContext,
}

impl Evalexpr {
    pub fn new(text: &str) -> Evalexpr {
        Evalexpr {
            node: evalexpr::build_operator_tree(text).expect("evalexpr parses"),
            context: evalexpr::HashMapContext::new(),
        }
    }

    pub fn eval(&mut self, x: f64) -> f64 {
        use evalexpr::ContextWithMutableVariables as _;
        self.context
            .set_value("x".into(), evalexpr::Value::Float(x))
            .expect("x is a float");
        self.node
            .eval_float_with_context_mut(&mut self.context)
            .expect("evalexpr evaluates")
    }
}

pub struct Rhai {
    engine: rhai::Engine,
    ast: rhai::AST,
    scope: rhai::Scope<'static>,
}

impl Rhai {
    pub fn new(text: &str) -> Rhai {
        let engine = rhai::Engine::new();
        let ast = engine.compile(text).expect("rhai compiles");
        Rhai {
            engine,
            ast,
            scope: rhai::Scope::new(),
        }
    }

    pub fn eval(&mut self, x: f64) -> f64 {
        // A fresh scope each time (the statements declare variables), keeping its buffer.
        self.scope.rewind(0);
        self.scope.push("x", x);
        self.engine
            .eval_ast_with_scope::<f64>(&mut self.scope, &self.ast)
            .expect("rhai evaluates")
    }
}

/// Every engine agrees with the baseline on every input, bit for bit, and batchscale's
/// results string prints the target as the service applies it.
pub fn assert_all_agree(
    case: &Case,
    bs: &mut Batchscale,
    fe: Option<&Fasteval>,
    mut ce: Option<&mut Cel>,
    ee: &mut Evalexpr,
    rh: &mut Rhai,
) {
    for i in 0..INPUTS {
        let x = input(i);
        let want = (case.baseline)(x);
        let check = |engine: &str, got: f64| {
            assert_eq!(
                got.to_bits(),
                want.to_bits(),
                "{}: {engine} gives {got} for x = {x}, the baseline {want}",
                case.name
            );
        };
        check("batchscale", bs.eval(x));
        let results = bs.run(x).results;
        let printed = format!(
            "$TargetDedicatedNodes={};",
            batchscale::internals::doubles::format_target(want)
        );
        assert!(
            results.starts_with(&printed),
            "{}: batchscale prints {results}, expected {printed}",
            case.name
        );
        if let Some(fe) = fe {
            check("fasteval2", fe.eval(x));
        }
        if let Some(ce) = ce.as_deref_mut() {
            check("cel", ce.eval(x));
        }
        check("evalexpr", ee.eval(x));
        check("rhai", rh.eval(x));
    }
}
