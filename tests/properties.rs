//! Property tests (issue 5): generators of formulas from the grammar and of pool
//! snapshots, and the properties the engine must keep for all of them.
//!
//! - `formatting_round_trips`: print → parse gives the same tree (spans aside), and
//!   formatting any spelling of a formula (extra parentheses, white space, comments,
//!   empty statements) gives a text that parses to the same tree and formats to itself;
//! - `nothing_panics_on_arbitrary_text` / `nothing_panics_on_mutated_formulas`: lexing,
//!   parsing, formatting, validating, compiling and evaluating never panic;
//! - `checker_is_sound`: a formula the checker accepts (no error diagnostic) never fails
//!   at run time with a type or name error, whatever the snapshot (value errors such as
//!   insufficient samples or an empty list are allowed). FAILS today on the checker's
//!   "may fail" warnings (BS0508); `checker_is_sound_where_it_does_not_warn_may_fail`
//!   holds the rest of the checker to the property;
//! - `arithmetic_agrees_with_f64`: the arithmetic, comparison and logic subset computes
//!   exactly what the same tree computes with Rust's `f64`;
//! - `results_string_splits_back`: the `results` string splits back into the variables
//!   and values that were assigned (for string values without `;`: see
//!   `results_string_cannot_split_a_string_holding_a_semicolon`).
//!
//! Case counts: each property runs `DEFAULT_CASES` cases from a fixed seed (about 30 s
//! for the file in a debug build on two shared cores); set `PROPTEST_CASES` to run more
//! and `PROPTEST_RNG_SEED` to explore other cases, e.g.
//! `PROPTEST_CASES=100000 cargo test --release --test properties -- --test-threads=1`
//! (about 3 minutes: 100,000 cases of each property took 7 s to 65 s).

use std::sync::atomic::{AtomicUsize, Ordering};

use batchscale::Metric;
use batchscale::internals::eval::{compile, interpreter};
use batchscale::internals::syntax::ast::{
    BinaryOp, Expr, ExprKind, Formula, Name, Statement, StatementKind, UnaryOp,
};
use batchscale::internals::syntax::span::Span;
use batchscale::internals::syntax::{fmt, lexer, nesting, parser};
use batchscale::time::{Interval, MAX_TIMESTAMP_TICKS, TICKS_PER_SECOND, Timestamp};
use batchscale::{CompiledFormula, Severity};
use batchscale::{MetricHistories, PoolState, SampleHistory, Snapshot};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

const DEFAULT_CASES: u32 = 1024;

/// `PROPTEST_CASES` from the environment, else `default`; the seed from
/// `PROPTEST_RNG_SEED`, else a fixed one, so that `cargo test` is deterministic (set
/// `PROPTEST_RNG_SEED` to explore other cases).
fn config(default: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    let rng_seed = match std::env::var("PROPTEST_RNG_SEED") {
        Ok(_) => Config::default().rng_seed,
        Err(_) => proptest::test_runner::RngSeed::Fixed(20_250_424),
    };
    Config {
        cases,
        rng_seed,
        max_shrink_iters: 4096,
        failure_persistence: None,
        ..Config::default()
    }
}

/// Runs a property, printing how long it took and how many cases ran.
fn run<S: Strategy>(name: &str, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    let config = config(DEFAULT_CASES);
    let cases = config.cases;
    let started = std::time::Instant::now();
    let result = TestRunner::new(config).run(&strategy, test);
    eprintln!(
        "{name}: {cases} cases in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
}

// ---------------------------------------------------------------------------------------
// Span-insensitive comparison of syntax trees.

fn strip_expr(e: &Expr) -> Expr {
    let kind = match &e.kind {
        ExprKind::Number(x) => ExprKind::Number(*x),
        ExprKind::String(s) => ExprKind::String(s.clone()),
        ExprKind::Name(n) => ExprKind::Name(n.clone()),
        ExprKind::Unary { op, operand } => ExprKind::Unary {
            op: *op,
            operand: Box::new(strip_expr(operand)),
        },
        ExprKind::Binary { op, lhs, rhs } => ExprKind::Binary {
            op: *op,
            lhs: Box::new(strip_expr(lhs)),
            rhs: Box::new(strip_expr(rhs)),
        },
        ExprKind::Conditional {
            condition,
            then,
            otherwise,
        } => ExprKind::Conditional {
            condition: Box::new(strip_expr(condition)),
            then: Box::new(strip_expr(then)),
            otherwise: Box::new(strip_expr(otherwise)),
        },
        ExprKind::Call { function, args, .. } => ExprKind::Call {
            function: strip_name(function),
            args: args.iter().map(strip_expr).collect(),
            args_span: Span::default(),
        },
        ExprKind::Method {
            receiver,
            method,
            args,
            ..
        } => ExprKind::Method {
            receiver: Box::new(strip_expr(receiver)),
            method: strip_name(method),
            args: args.iter().map(strip_expr).collect(),
            args_span: Span::default(),
        },
        ExprKind::Field { receiver, field } => ExprKind::Field {
            receiver: Box::new(strip_expr(receiver)),
            field: strip_name(field),
        },
    };
    Expr::new(kind, Span::default())
}

fn strip_name(n: &Name) -> Name {
    Name {
        text: n.text.clone(),
        span: Span::default(),
    }
}

/// The tree with every span zeroed: two trees are the same, spans aside, when their
/// stripped forms are equal.
fn strip(f: &Formula) -> Formula {
    Formula {
        statements: f
            .statements
            .iter()
            .map(|s| Statement {
                kind: match &s.kind {
                    StatementKind::Assign { target, value } => StatementKind::Assign {
                        target: strip_name(target),
                        value: strip_expr(value),
                    },
                    StatementKind::Expr(e) => StatementKind::Expr(strip_expr(e)),
                },
                span: Span::default(),
            })
            .collect(),
    }
}

fn parse_ok(text: &str) -> Result<Formula, TestCaseError> {
    let parsed = parser::parse(text);
    prop_assert!(
        parsed.errors.is_empty(),
        "{text:?} does not parse: {:?}",
        parsed.errors
    );
    Ok(parsed.formula)
}

// ---------------------------------------------------------------------------------------
// Generators of syntax trees, from the grammar.

fn sp() -> Span {
    Span::default()
}

fn plain_name() -> impl Strategy<Value = String> {
    "[A-Za-z_][A-Za-z0-9_]{0,6}"
}

fn ident() -> impl Strategy<Value = String> {
    prop_oneof![
        plain_name(),
        plain_name().prop_map(|n| format!("${n}")),
        Just("$TargetDedicatedNodes".to_string()),
        Just("TimeInterval_Minute".to_string()),
        Just("requeue".to_string()),
    ]
}

/// Every double a literal can denote: non-negative, finite or `+inf`.
fn literal_number() -> impl Strategy<Value = f64> {
    prop_oneof![
        (0u32..1000).prop_map(f64::from),
        (0u32..100_000).prop_map(|n| f64::from(n) / 1000.0),
        any::<f64>()
            .prop_map(f64::abs)
            .prop_filter("finite or +inf", |x| !x.is_nan()),
        Just(0.1 + 0.2),
        Just(f64::MAX),
        Just(5e-324),
        Just(f64::INFINITY),
        Just(1e22),
    ]
}

/// A string literal's text: no `"` and no line break.
fn literal_string() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 :,.;=$-]{0,12}",
        any::<String>().prop_map(|s| s.replace(['"', '\r', '\n'], "")),
    ]
}

fn unary_op() -> impl Strategy<Value = UnaryOp> {
    prop_oneof![Just(UnaryOp::Neg), Just(UnaryOp::Not)]
}

fn binary_op() -> impl Strategy<Value = BinaryOp> {
    use BinaryOp::*;
    proptest::sample::select(vec![Add, Sub, Mul, Div, Lt, Le, Gt, Ge, Eq, Ne, And, Or])
}

fn name_node(text: String) -> Name {
    Name { text, span: sp() }
}

/// Any expression the grammar allows (types aside).
fn expr() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        literal_number().prop_map(|x| Expr::new(ExprKind::Number(x), sp())),
        literal_string().prop_map(|s| Expr::new(ExprKind::String(s), sp())),
        ident().prop_map(|n| Expr::new(ExprKind::Name(n), sp())),
    ];
    leaf.prop_recursive(6, 48, 4, |inner| {
        let args = proptest::collection::vec(inner.clone(), 0..4);
        prop_oneof![
            (unary_op(), inner.clone()).prop_map(|(op, e)| Expr::new(
                ExprKind::Unary {
                    op,
                    operand: Box::new(e)
                },
                sp()
            )),
            (binary_op(), inner.clone(), inner.clone()).prop_map(|(op, l, r)| Expr::new(
                ExprKind::Binary {
                    op,
                    lhs: Box::new(l),
                    rhs: Box::new(r)
                },
                sp()
            )),
            (inner.clone(), inner.clone(), inner.clone()).prop_map(|(c, t, o)| Expr::new(
                ExprKind::Conditional {
                    condition: Box::new(c),
                    then: Box::new(t),
                    otherwise: Box::new(o)
                },
                sp()
            )),
            (plain_name(), args.clone()).prop_map(|(f, args)| Expr::new(
                ExprKind::Call {
                    function: name_node(f),
                    args,
                    args_span: sp()
                },
                sp()
            )),
            (inner.clone(), plain_name(), args).prop_map(|(r, m, args)| Expr::new(
                ExprKind::Method {
                    receiver: Box::new(r),
                    method: name_node(m),
                    args,
                    args_span: sp()
                },
                sp()
            )),
            (inner, plain_name()).prop_map(|(r, f)| Expr::new(
                ExprKind::Field {
                    receiver: Box::new(r),
                    field: name_node(f)
                },
                sp()
            )),
        ]
    })
}

fn statement() -> impl Strategy<Value = Statement> {
    prop_oneof![
        3 => (ident(), expr()).prop_map(|(t, value)| Statement {
            kind: StatementKind::Assign { target: name_node(t), value },
            span: sp(),
        }),
        1 => expr().prop_map(|e| Statement { kind: StatementKind::Expr(e), span: sp() }),
    ]
}

fn formula() -> impl Strategy<Value = Formula> {
    proptest::collection::vec(statement(), 0..6).prop_map(|statements| Formula { statements })
}

// ---------------------------------------------------------------------------------------
// A noisy printer: the same tree, spelled with redundant parentheses, random white space,
// comments and empty statements.

/// A small deterministic generator for the printer's choices (the seed shrinks too).
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn chance(&mut self, one_in: u64) -> bool {
        self.next().is_multiple_of(one_in)
    }

    fn space(&mut self) -> &'static str {
        const SPACES: [&str; 9] = [
            "",
            "",
            "",
            " ",
            "  ",
            "\n",
            "\t",
            " // a comment ; x = (\n",
            "\r\n\r\n// two\r\n  ",
        ];
        SPACES[(self.next() % SPACES.len() as u64) as usize]
    }
}

fn noisy_tokens(e: &Expr, min: u8, noise: &mut Noise, out: &mut Vec<String>) {
    let prec = match &e.kind {
        ExprKind::Conditional { .. } => 0,
        ExprKind::Binary { op, .. } => binary_prec(*op),
        ExprKind::Unary { .. } => 7,
        ExprKind::Method { .. } | ExprKind::Field { .. } => 8,
        _ => 9,
    };
    let wrap = prec < min || noise.chance(6);
    if wrap {
        out.push("(".into());
    }
    match &e.kind {
        ExprKind::Number(x) => out.push(number_spelling(*x, noise)),
        ExprKind::String(s) => out.push(format!("\"{s}\"")),
        ExprKind::Name(n) => out.push(n.clone()),
        ExprKind::Unary { op, operand } => {
            out.push(op.symbol().into());
            noisy_tokens(operand, 7, noise, out);
        }
        ExprKind::Binary { op, lhs, rhs } => {
            let p = binary_prec(*op);
            noisy_tokens(lhs, p, noise, out);
            out.push(op.symbol().into());
            noisy_tokens(rhs, p + 1, noise, out);
        }
        ExprKind::Conditional {
            condition,
            then,
            otherwise,
        } => {
            noisy_tokens(condition, 1, noise, out);
            out.push("?".into());
            noisy_tokens(then, 0, noise, out);
            out.push(":".into());
            noisy_tokens(otherwise, 0, noise, out);
        }
        ExprKind::Call { function, args, .. } => {
            out.push(function.text.clone());
            noisy_args(args, noise, out);
        }
        ExprKind::Method {
            receiver,
            method,
            args,
            ..
        } => {
            noisy_tokens(receiver, 8, noise, out);
            out.push(".".into());
            out.push(method.text.clone());
            noisy_args(args, noise, out);
        }
        ExprKind::Field { receiver, field } => {
            noisy_tokens(receiver, 8, noise, out);
            out.push(".".into());
            out.push(field.text.clone());
        }
    }
    if wrap {
        out.push(")".into());
    }
}

fn noisy_args(args: &[Expr], noise: &mut Noise, out: &mut Vec<String>) {
    out.push("(".into());
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            out.push(",".into());
        }
        noisy_tokens(a, 0, noise, out);
    }
    out.push(")".into());
}

/// Another spelling of the same double: trailing zeros, leading zeros, or many digits.
fn number_spelling(x: f64, noise: &mut Noise) -> String {
    let plain = fmt::format_number(x);
    match noise.next() % 4 {
        0 if !plain.contains('.') => format!("{plain}.000"),
        1 => format!("00{plain}"),
        2 if plain.contains('.') => format!("{plain}0"),
        _ => plain,
    }
}

fn binary_prec(op: BinaryOp) -> u8 {
    use BinaryOp::*;
    match op {
        Or => 1,
        And => 2,
        Eq | Ne => 3,
        Lt | Le | Gt | Ge => 4,
        Add | Sub => 5,
        Mul | Div => 6,
    }
}

fn is_word(token: &str) -> bool {
    token
        .chars()
        .last()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '"')
}

fn starts_word(token: &str) -> bool {
    token
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$' || c == '"')
}

fn noisy_text(f: &Formula, seed: u64) -> String {
    let mut noise = Noise(seed | 1);
    let mut tokens: Vec<String> = Vec::new();
    for s in &f.statements {
        while noise.chance(5) {
            tokens.push(";".into());
        }
        match &s.kind {
            StatementKind::Assign { target, value } => {
                tokens.push(target.text.clone());
                tokens.push("=".into());
                noisy_tokens(value, 0, &mut noise, &mut tokens);
            }
            StatementKind::Expr(e) => noisy_tokens(e, 0, &mut noise, &mut tokens),
        }
        tokens.push(";".into());
    }
    if tokens.last().is_some_and(|t| t == ";") && noise.chance(2) {
        tokens.pop();
    }
    let mut text = String::from(noise.space());
    for (i, t) in tokens.iter().enumerate() {
        if i > 0 {
            let space = noise.space();
            if space.is_empty() && is_word(&tokens[i - 1]) && starts_word(t) {
                text.push(' ');
            }
            text.push_str(space);
        }
        text.push_str(t);
    }
    text.push_str(noise.space());
    text
}

#[test]
fn formatting_round_trips() {
    run(
        "formatting_round_trips",
        (formula(), any::<u64>()),
        |(f, seed)| {
            // The canonical print of a tree parses back to the tree.
            let printed = fmt::print_formula(&f);
            prop_assert_eq!(
                strip(&parse_ok(&printed)?),
                strip(&f),
                "printed:\n{}",
                printed
            );
            // Any spelling of it formats to a text that parses to the same tree, and
            // formatting that text changes nothing.
            let text = noisy_text(&f, seed);
            let parsed = parse_ok(&text)?;
            prop_assert_eq!(strip(&parsed), strip(&f), "noisy text:\n{}", text);
            let formatted = fmt::format(&text)
                .map_err(|e| TestCaseError::fail(format!("format refused {text:?}: {e:?}")))?;
            prop_assert_eq!(
                strip(&parse_ok(&formatted)?),
                strip(&f),
                "text:\n{}\nformatted:\n{}",
                text,
                formatted
            );
            prop_assert_eq!(
                fmt::format(&formatted).ok(),
                Some(formatted.clone()),
                "not idempotent:\n{}",
                formatted
            );
            // Every comment of the text is kept.
            let comments = |t: &str| t.matches("//").count();
            prop_assert_eq!(comments(&formatted), comments(&text));
            Ok(())
        },
    );
}

// ---------------------------------------------------------------------------------------
// Generators of pool snapshots.

fn timestamp_near(center: i64, spread: i64) -> impl Strategy<Value = Timestamp> {
    (-spread..=spread).prop_map(move |d| {
        Timestamp::from_ticks((center.saturating_add(d)).clamp(0, MAX_TIMESTAMP_TICKS)).unwrap()
    })
}

fn finite() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => (0u32..20).prop_map(f64::from),
        1 => -1e6..1e6f64,
        1 => any::<f64>().prop_filter("finite", |x| x.is_finite()),
        1 => Just(-0.0),
    ]
}

fn history(now: i64) -> impl Strategy<Value = SampleHistory> {
    let period = prop_oneof![
        4 => Just(30 * TICKS_PER_SECOND),
        1 => 1i64..(100 * TICKS_PER_SECOND),
        1 => Just(1i64),
        1 => Just(i64::MAX / 4),
    ];
    (
        period,
        proptest::collection::vec(
            (-3600 * TICKS_PER_SECOND..60 * TICKS_PER_SECOND, finite()),
            0..40,
        ),
    )
        .prop_map(move |(period, samples)| {
            let samples: Vec<(Timestamp, f64)> = samples
                .into_iter()
                .filter_map(|(offset, v)| {
                    Timestamp::from_ticks(now.saturating_add(offset)).map(|t| (t, v))
                })
                .collect();
            let mut seen = std::collections::HashSet::new();
            let samples = samples
                .into_iter()
                .filter(|(t, _)| seen.insert(*t))
                .collect();
            SampleHistory::from_samples(Interval(period), samples).unwrap()
        })
}

/// A snapshot that shows itself as its JSON in failure reports.
#[derive(Clone)]
struct Snap(Snapshot);

impl std::fmt::Debug for Snap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0.to_json())
    }
}

/// Snapshots: ordinary evaluation times and the edges of the years 1 to 9999, any pool
/// state, and up to a few metrics with histories around `now`.
fn snapshot() -> impl Strategy<Value = Snap> {
    let now = prop_oneof![
        8 => Just(638_500_000_000_000_000i64),
        1 => Just(0i64),
        1 => Just(MAX_TIMESTAMP_TICKS),
        1 => 0..=MAX_TIMESTAMP_TICKS,
    ];
    now.prop_flat_map(|now| {
        (
            timestamp_near(now, 0),
            (finite(), finite(), finite(), finite(), finite(), finite()),
            proptest::collection::vec(
                (proptest::sample::select(Metric::ALL.to_vec()), history(now)),
                0..12,
            ),
            proptest::option::of(any::<u64>()),
        )
    })
    .prop_map(|(now, p, histories, seed)| {
        let mut metrics = MetricHistories::default();
        for (metric, h) in histories {
            metrics.set(metric, h);
        }
        Snap(Snapshot {
            evaluation_time: Some(now),
            pool: PoolState {
                target_dedicated_nodes: p.0,
                target_low_priority_nodes: p.1,
                current_dedicated_nodes: p.2,
                current_low_priority_nodes: p.3,
                task_slots_per_node: p.4,
                usable_node_count: p.5,
            },
            metrics,
            random_seed: seed,
        })
    })
}

// ---------------------------------------------------------------------------------------
// A generator of mostly well-typed formulas (language.md sections 3 to 7), with some
// ill-typed parts mixed in so that the checker has something to refuse.

const METRICS: [&str; 17] = [
    "$CPUPercent",
    "$WallClockSeconds",
    "$MemoryBytes",
    "$DiskBytes",
    "$DiskReadBytes",
    "$DiskWriteBytes",
    "$DiskReadOps",
    "$DiskWriteOps",
    "$NetworkInBytes",
    "$NetworkOutBytes",
    "$SampleNodeCount",
    "$ActiveTasks",
    "$RunningTasks",
    "$PendingTasks",
    "$SucceededTasks",
    "$FailedTasks",
    "$PreemptedNodeCount",
];

/// Variables by the type the generator means them to hold.
const DOUBLE_VARS: [&str; 2] = ["d0", "d1"];
const VEC_VARS: [&str; 2] = ["v0", "$v1"];
const TIME_VARS: [&str; 1] = ["t0"];
const INTERVAL_VARS: [&str; 1] = ["i0"];
const STRING_VARS: [&str; 1] = ["s0"];
const OPTION_VARS: [&str; 1] = ["o0"];

type S = BoxedStrategy<String>;

/// One strategy per type, for expressions up to some depth.
#[derive(Clone)]
struct Typed {
    double: S,
    vector: S,
    time: S,
    interval: S,
    string: S,
    option: S,
}

fn pick(items: &[&'static str]) -> S {
    proptest::sample::select(items.to_vec())
        .prop_map(str::to_string)
        .boxed()
}

fn metric() -> S {
    pick(&METRICS)
}

fn typed_leaves() -> Typed {
    let number = prop_oneof![
        (0u32..200).prop_map(|n| n.to_string()),
        (0u32..10_000).prop_map(|n| format!("{}.{:02}", n / 100, n % 100)),
        Just("0".to_string()),
        Just("100".to_string()),
        Just("1000000000000000000000".to_string()),
    ];
    let double = prop_oneof![
        4 => number,
        2 => pick(&DOUBLE_VARS),
        2 => pick(&[
            "$CurrentDedicatedNodes",
            "$CurrentLowPriorityNodes",
            "$TaskSlotsPerNode",
            "$UsableNodeCount",
            "$CurrentDedicated",
            "$TargetDedicatedNodes",
            "$TargetLowPriorityNodes",
            "$TargetDedicated",
            "$TargetLowPriority",
            "rand()",
            "sum()",
            "len()",
        ]),
        1 => metric().prop_map(|m| format!("{m}.Count()")),
    ]
    .boxed();
    let vector = prop_oneof![
        2 => pick(&VEC_VARS),
        2 => (metric(), prop_oneof![8 => Just(1u32), 8 => Just(3), 8 => Just(60), 1 => Just(0)])
            .prop_map(|(m, n)| format!("{m}.GetSample({n})")),
        1 => Just("vec(1, 2, 3)".to_string()),
        1 => Just("vec()".to_string()),
    ]
    .boxed();
    let time = prop_oneof![
        2 => pick(&TIME_VARS),
        2 => Just("time()".to_string()),
        1 => pick(&[
            "time(\"2024-03-01T00:00:00Z\")",
            "time(\"Mon, 13 Mar 2023 20:30:20 GMT\")",
            "time(\"2024\")",
        ]),
        1 => metric().prop_map(|m| format!("{m}.HistoryBeginTime()")),
    ]
    .boxed();
    let interval = prop_oneof![
        2 => pick(&INTERVAL_VARS),
        3 => pick(&[
            "TimeInterval_Zero",
            "TimeInterval_100ns",
            "TimeInterval_Microsecond",
            "TimeInterval_Millisecond",
            "TimeInterval_Second",
            "TimeInterval_Minute",
            "TimeInterval_Hour",
            "TimeInterval_Day",
            "TimeInterval_Week",
            "TimeInterval_Year",
        ]),
        1 => metric().prop_map(|m| format!("{m}.GetSamplePeriod()")),
    ]
    .boxed();
    let string = prop_oneof![
        4 => pick(&STRING_VARS),
        4 => "[a-z ;=]{0,6}".prop_map(|s| format!("\"{s}\"")),
        // Valid time texts, for time(string); "not a time" fails when it runs.
        4 => pick(&["\"2024-03-01T00:00:00Z\"", "\"2024-03-01T10:00:00.1234567+05:30\"", "\"2024\""]),
        1 => Just("\"not a time\"".to_string()),
    ]
    .boxed();
    let option = prop_oneof![
        pick(&OPTION_VARS),
        pick(&["requeue", "terminate", "taskcompletion", "retaineddata"]),
    ]
    .boxed();
    Typed {
        double,
        vector,
        time,
        interval,
        string,
        option,
    }
}

/// Any expression of the level below, of a random type.
fn any_of(t: &Typed) -> S {
    prop_oneof![
        3 => t.double.clone(),
        1 => t.vector.clone(),
        1 => t.time.clone(),
        1 => t.interval.clone(),
        1 => t.string.clone(),
        1 => t.option.clone(),
        1 => pick(&["$CPUPercent", "undefined_name", "stop()", "nofunction(1)"]),
    ]
    .boxed()
}

/// With `noisy`, mostly `s` but sometimes anything: the checker must refuse what does
/// not fit. Without, just `s`.
fn mostly(s: &S, any: &S, noisy: bool) -> S {
    if noisy {
        prop_oneof![12 => s.clone(), 1 => any.clone()].boxed()
    } else {
        s.clone()
    }
}

fn typed_level(p: &Typed, noisy: bool) -> Typed {
    let any = any_of(p);
    let d = mostly(&p.double, &any, noisy);
    let v = mostly(&p.vector, &any, noisy);
    let ts = mostly(&p.time, &any, noisy);
    let iv = mostly(&p.interval, &any, noisy);
    let st = mostly(&p.string, &any, noisy);
    let op = mostly(&p.option, &any, noisy);
    let arith = pick(&["+", "-", "*", "/"]);
    let compare = pick(&["<", "<=", ">", ">=", "==", "!="]);
    let list_length = prop_oneof![1 => Just(0usize), 8 => 1usize..4];
    let item: S = prop_oneof![d.clone(), v.clone()].boxed();
    let list = list_length
        .prop_flat_map(move |n| proptest::collection::vec(item.clone(), n))
        .prop_map(|args| args.join(", "))
        .boxed();
    let window = prop_oneof![
        iv.clone(),
        ts.clone(),
        (iv.clone(), iv.clone()).prop_map(|(a, b)| format!("{a}, {b}")),
        (ts.clone(), iv.clone()).prop_map(|(a, b)| format!("{a}, {b}")),
    ]
    .boxed();
    let percent = prop_oneof![
        Just(String::new()),
        Just(", 0".to_string()),
        Just(", 50".to_string()),
        Just(", 100".to_string()),
        d.clone().prop_map(|p| format!(", {p}")),
    ];
    let ternary = |a: &S, b: &S| {
        (d.clone(), a.clone(), b.clone())
            .prop_map(|(c, x, y)| format!("({c} ? {x} : {y})"))
            .boxed()
    };
    let double = prop_oneof![
        3 => p.double.clone(),
        3 => (d.clone(), arith.clone(), d.clone()).prop_map(|(a, o, b)| format!("({a} {o} {b})")),
        2 => prop_oneof![
            (d.clone(), compare.clone(), d.clone()),
            (st.clone(), compare.clone(), st.clone()),
            (ts.clone(), compare.clone(), ts.clone()),
            (iv.clone(), compare.clone(), iv.clone()),
        ]
        .prop_map(|(a, o, b)| format!("({a} {o} {b})")),
        1 => (d.clone(), pick(&["&&", "||"]), d.clone()).prop_map(|(a, o, b)| format!("({a} {o} {b})")),
        1 => (pick(&["-", "!"]), d.clone()).prop_map(|(o, a)| format!("{o}{a}")),
        1 => ternary(&d, &d),
        2 => (
            pick(&["avg", "len", "max", "min", "norm", "range", "std", "sum"]),
            list.clone()
        )
            .prop_map(|(f, l)| format!("{f}({l})")),
        1 => (v.clone(), d.clone()).prop_map(|(v, p)| format!("percentile({v}, {p})")),
        1 => (v.clone(), d.clone()).prop_map(|(v, i)| format!("val({v}, {i})")),
        1 => (pick(&["lg", "ln", "log", "ceil", "floor", "round"]), d.clone())
            .prop_map(|(f, a)| format!("{f}({a})")),
        1 => (
            ts.clone(),
            pick(&["year", "month", "day", "weekday", "hour", "minute", "second"])
        )
            .prop_map(|(t, f)| format!("{t}.{f}")),
        1 => (metric(), window.clone()).prop_map(|(m, w)| format!("{m}.GetSamplePercent({w})")),
    ]
    .boxed();
    let vector = prop_oneof![
        3 => p.vector.clone(),
        2 => (v.clone(), arith.clone(), prop_oneof![d.clone(), v.clone()])
            .prop_map(|(a, o, b)| format!("({a} {o} {b})")),
        1 => (d.clone(), arith.clone(), v.clone()).prop_map(|(a, o, b)| format!("({a} {o} {b})")),
        1 => list.clone().prop_map(|l| format!("vec({l})")),
        1 => (pick(&["lg", "ln", "log", "ceil", "floor", "round"]), v.clone())
            .prop_map(|(f, a)| format!("{f}({a})")),
        1 => (pick(&["lg", "ceil"]), d.clone(), v.clone())
            .prop_map(|(f, a, b)| format!("{f}({a}, {b})")),
        2 => (metric(), window, percent).prop_map(|(m, w, p)| format!("{m}.GetSample({w}{p})")),
        1 => (metric(), d.clone()).prop_map(|(m, n)| format!("{m}.GetSample({n})")),
        1 => ternary(&v, &v),
    ]
    .boxed();
    let time = prop_oneof![
        3 => p.time.clone(),
        1 => (ts.clone(), iv.clone()).prop_map(|(t, i)| format!("({t} + {i})")),
        1 => (iv.clone(), ts.clone()).prop_map(|(i, t)| format!("({i} + {t})")),
        1 => st.clone().prop_map(|s| format!("time({s})")),
        1 => ternary(&ts, &ts),
    ]
    .boxed();
    let interval = prop_oneof![
        3 => p.interval.clone(),
        2 => (iv.clone(), pick(&["*", "/"]), d.clone()).prop_map(|(a, o, b)| format!("({a} {o} {b})")),
        1 => (d.clone(), iv.clone()).prop_map(|(a, b)| format!("({a} * {b})")),
        1 => (iv.clone(), pick(&["+", "-"]), iv.clone()).prop_map(|(a, o, b)| format!("({a} {o} {b})")),
        1 => (ts.clone(), ts.clone()).prop_map(|(a, b)| format!("({a} - {b})")),
        1 => iv.clone().prop_map(|a| format!("-{a}")),
        1 => ternary(&iv, &iv),
    ]
    .boxed();
    let string = prop_oneof![3 => p.string.clone(), 1 => ternary(&st, &st)].boxed();
    let option = prop_oneof![3 => p.option.clone(), 1 => ternary(&op, &op)].boxed();
    Typed {
        double,
        vector,
        time,
        interval,
        string,
        option,
    }
}

fn typed(depth: usize, noisy: bool) -> Typed {
    let mut t = typed_leaves();
    for _ in 0..depth {
        t = typed_level(&t, noisy);
    }
    t
}

/// A statement: mostly an assignment of a variable with an expression of its type; with
/// `noisy`, also statements of the wrong type and misuses.
fn typed_statement(t: &Typed, noisy: bool) -> S {
    let all_vars: Vec<&'static str> = DOUBLE_VARS
        .iter()
        .chain(&VEC_VARS)
        .chain(&TIME_VARS)
        .chain(&INTERVAL_VARS)
        .chain(&STRING_VARS)
        .chain(&OPTION_VARS)
        .copied()
        .collect();
    let any = any_of(t);
    let assign = |vars: &[&'static str], e: &S| {
        (pick(vars), e.clone())
            .prop_map(|(n, e)| format!("{n} = {e}"))
            .boxed()
    };
    let mut options: Vec<(u32, S)> = vec![
        (4, assign(&DOUBLE_VARS, &t.double)),
        (3, assign(&VEC_VARS, &t.vector)),
        (1, assign(&TIME_VARS, &t.time)),
        (1, assign(&INTERVAL_VARS, &t.interval)),
        (1, assign(&STRING_VARS, &t.string)),
        (1, assign(&OPTION_VARS, &t.option)),
        (
            2,
            assign(
                &[
                    "$TargetDedicatedNodes",
                    "$TargetLowPriorityNodes",
                    "$TargetDedicated",
                ],
                &t.double,
            ),
        ),
        (1, assign(&["$NodeDeallocationOption"], &t.option)),
        (
            1,
            (
                t.double.clone(),
                prop_oneof![Just("stop()".to_string()), t.double.clone()],
            )
                .prop_map(|(c, s)| format!("{c} ? stop() : {s}"))
                .boxed(),
        ),
    ];
    if noisy {
        options.extend([
            (1, assign(&all_vars, &any)),
            (
                1,
                pick(&[
                    "stop()",
                    "$CurrentDedicatedNodes = 1",
                    "TimeInterval_Minute = 2",
                    "$CPUPercent = 1",
                    "requeue = 1",
                ]),
            ),
            (1, any),
        ]);
    }
    proptest::strategy::Union::new_weighted(options).boxed()
}

/// Gives every variable of the generator a value of its type, so that most formulas
/// read no undefined name.
const PRELUDE: &str = "d0 = $CurrentDedicatedNodes; d1 = 2.5; v0 = $CPUPercent.GetSample(5); \
                       $v1 = vec(1, 2, 3); t0 = time(); i0 = TimeInterval_Minute; s0 = \"s\"; \
                       o0 = taskcompletion;\n";

/// Formulas from the typed generator: three in four clean (well-typed by construction,
/// apart from run-time values), one in four noisy; nine in ten start with `PRELUDE`.
fn typed_formula() -> impl Strategy<Value = String> {
    let statements = |noisy: bool| {
        let t = typed(3, noisy);
        proptest::collection::vec(typed_statement(&t, noisy), 1..8)
    };
    (
        prop_oneof![3 => statements(false), 1 => statements(true)],
        proptest::bool::weighted(0.9),
    )
        .prop_map(|(s, prelude)| {
            let body = s.join(";\n");
            if prelude {
                format!("{PRELUDE}{body}")
            } else {
                body
            }
        })
}

/// Whether a run-time error detail is a type or name error, which a sound checker
/// catches beforehand; `None` for a message this test does not know.
fn is_type_or_name_error(detail: &str) -> Option<bool> {
    const VALUE_ERRORS: &[&str] = &[
        "the list of values is empty",
        "percentile: the percentage must be between 0 and 100",
        "percentile: the vector is empty",
        "the sample count must be at least 1",
        "the required percentage must be between 0 and 100",
        "time(): ",
        "the time interval is out of range",
        "the timestamp is outside the years 1 to 9999",
        "needs vectors of equal length",
        "must end the evaluation as a finite number",
        "the look-back reaches outside the years 1 to 9999",
        "has no history begin time",
        "Insufficient data from data set",
    ];
    const TYPE_OR_NAME_ERRORS: &[&str] = &[
        "Undefined symbol",
        "is not defined for a",
        "takes numbers, not a",
        "the condition of '?:' must be a number",
        "must be a doubleVec, not",
        "must be a double, not",
        "must be a double or a doubleVec, not",
        "takes a string, not a",
        "is a field of timestamps, not of a",
        "unknown function",
        "unknown method",
        "unknown field",
        "is a method of sampled metrics",
        "cannot be used as a value",
        "cannot be assigned",
        "stop() has no value to use",
        "() takes ",
        "$NodeDeallocationOption takes",
        "must end the evaluation as a number, but it is a",
        "a sample window is given by a timeinterval or a timestamp",
        ": called with",
    ];
    if VALUE_ERRORS.iter().any(|p| detail.contains(p)) {
        Some(false)
    } else if TYPE_OR_NAME_ERRORS.iter().any(|p| detail.contains(p)) {
        Some(true)
    } else {
        None
    }
}

/// The soundness property: a formula that `accepted` says passes never fails at run time
/// with a type or name error, for any snapshot.
fn soundness(name: &'static str, accepted: fn(&[batchscale::Diagnostic]) -> bool) {
    let accepted_count = AtomicUsize::new(0);
    let value_errors = AtomicUsize::new(0);
    run(name, (typed_formula(), snapshot()), |(text, snapshot)| {
        let compiled = match CompiledFormula::new(&text) {
            Ok(c) => c,
            Err(r) if r.error.code == "AutoScalingFormulaTooLong" => return Ok(()),
            Err(r) => {
                return Err(TestCaseError::fail(format!(
                    "the generator wrote a formula the service rejects: {text}\n{}",
                    r.error
                )));
            }
        };
        if !accepted(compiled.diagnostics()) {
            return Ok(());
        }
        accepted_count.fetch_add(1, Ordering::Relaxed);
        let evaluation = compiled.evaluate(&snapshot.0);
        let Some(error) = &evaluation.run.error else {
            return Ok(());
        };
        let detail = &error.values[0].value;
        match is_type_or_name_error(detail) {
            Some(false) => {
                value_errors.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            Some(true) => Err(TestCaseError::fail(format!(
                "the checker accepted a formula that fails with a type or name error:\n\
                 {text}\n=> {detail}\nits diagnostics: {:#?}",
                compiled.diagnostics()
            ))),
            None => Err(TestCaseError::fail(format!(
                "unclassified run-time error (add it to is_type_or_name_error): {detail}\n{text}"
            ))),
        }
    });
    eprintln!(
        "{name}: {} formulas accepted, {} of them ended with a value error",
        accepted_count.load(Ordering::Relaxed),
        value_errors.load(Ordering::Relaxed)
    );
}

fn no_errors(diagnostics: &[batchscale::Diagnostic]) -> bool {
    !diagnostics.iter().any(|d| d.severity == Severity::Error)
}

/// Soundness as issue 5 states it: no error diagnostic, no type or name error at run time.
///
/// FAILS today, by the checker's design: where an expression's type is one of several
/// (a `?:` whose branches differ), a use that fits only some of them gets a "may fail"
/// warning (BS0508), not an error, and the run fails when the other branch is taken:
/// `x = 0 ? 1 : "a"; y = x + 1;` passes the checker and fails at run time with "operator
/// '+' is not defined for a string and a double" (see the report of issue 5).
#[test]
fn checker_is_sound() {
    // The smallest counterexamples the property found, first.
    for text in [
        "x = 0 ? 1 : \"a\"; y = x + 1;",
        "v = vec(1, 2); x = 0 ? v : 1; y = percentile(x, 50);",
        "x = 0 ? 1 : TimeInterval_Minute; $TargetDedicatedNodes = x;",
        "x = 0 ? requeue : 1; $NodeDeallocationOption = x;",
        "x = 0 ? 1 : vec(1); y = x && 1;",
    ] {
        let compiled = CompiledFormula::new(text).unwrap();
        if no_errors(compiled.diagnostics()) {
            let run = compiled.evaluate(&Snapshot::default()).run;
            let detail = run.error.map(|e| e.values[0].value.clone());
            assert!(
                detail
                    .as_deref()
                    .and_then(is_type_or_name_error)
                    .is_none_or(|type_or_name| !type_or_name),
                "the checker accepted {text:?}, which fails with {detail:?}"
            );
        }
    }
    soundness("checker_is_sound", no_errors);
}

/// Soundness where the checker does not itself say "this may fail at run time": no error
/// diagnostic and no BS0508 warning.
#[test]
fn checker_is_sound_where_it_does_not_warn_may_fail() {
    soundness("checker_is_sound_where_it_does_not_warn_may_fail", |d| {
        no_errors(d) && !d.iter().any(|d| d.code == "BS0508")
    });
}

// ---------------------------------------------------------------------------------------
// Nothing panics.

/// Runs every phase over a text, as the tool would; on a stack sized for the text (it
/// nests at most as deeply as it has characters), since the internals used here directly
/// walk the tree recursively.
fn every_phase(text: &str, snapshot: &Snapshot) {
    nesting::with_stack(text.len(), || every_phase_here(text, snapshot));
}

fn every_phase_here(text: &str, snapshot: &Snapshot) {
    let _ = lexer::tokens(text).count();
    let parsed = parser::parse(text);
    let _ = nesting::too_deep(&parsed.formula);
    nesting::dismantle(parsed.formula);
    if let Ok(formatted) = fmt::format(text) {
        // What the formatter writes parses, to the same tree.
        let again = parser::parse(&formatted);
        assert!(again.errors.is_empty(), "{formatted:?}: {:?}", again.errors);
        assert_eq!(
            strip(&again.formula),
            strip(&parser::parse(text).formula),
            "{text:?} formatted to {formatted:?}"
        );
    }
    let _ = batchscale::validate(text, None);
    if let Ok(compiled) = CompiledFormula::new(text) {
        let evaluation = compiled.evaluate(snapshot);
        let _ = serde_json::to_string(&evaluation.run).unwrap();
    }
}

#[test]
fn nothing_panics_on_arbitrary_text() {
    let text = prop_oneof![
        any::<String>(),
        "[-+*/!<>=&|?:;.,()$a-zA-Z0-9_\" \n#%\\[\\]{}]{0,80}",
        proptest::collection::vec(
            proptest::sample::select(vec![
                "x",
                "$y",
                "1",
                "2.5",
                "\"s\"",
                ";",
                "=",
                "?",
                ":",
                "||",
                "&&",
                "==",
                "!=",
                "<",
                "<=",
                ">",
                ">=",
                "+",
                "-",
                "*",
                "/",
                "!",
                ".",
                ",",
                "(",
                ")",
                " ",
                "\n",
                "// c\n",
                "#",
                "/*",
                "max",
                "time",
                "$CPUPercent",
                "GetSample",
                "stop",
                "TimeInterval_Minute",
                "requeue",
                "$TargetDedicatedNodes",
                "\"",
                "year",
            ]),
            0..40
        )
        .prop_map(|t| t.concat()),
    ];
    run(
        "nothing_panics_on_arbitrary_text",
        (text, snapshot()),
        |(text, snapshot)| {
            every_phase(&text, &snapshot.0);
            Ok(())
        },
    );
}

#[derive(Debug, Clone)]
enum Mutation {
    Delete { at: usize, len: usize },
    Insert { at: usize, what: String },
    Duplicate { at: usize, len: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let snippet = prop_oneof![
        proptest::sample::select(vec![
            "(",
            ")",
            ";",
            "?",
            ":",
            ",",
            ".",
            "-",
            "!",
            "=",
            "==",
            "\"",
            "//",
            "\n",
            "#",
            "$",
            "1",
            "x",
            "max(",
            "time()",
            "stop()",
            "$CPUPercent",
            ".GetSample(",
            "TimeInterval_Year",
            "0.0000001",
            "\u{e9}",
            "\u{1F600}",
            "\0",
        ])
        .prop_map(str::to_string),
        any::<char>().prop_map(String::from),
    ];
    prop_oneof![
        (any::<usize>(), 1usize..6).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (any::<usize>(), snippet).prop_map(|(at, what)| Mutation::Insert { at, what }),
        (any::<usize>(), 1usize..20).prop_map(|(at, len)| Mutation::Duplicate { at, len }),
    ]
}

fn mutate(text: &str, mutations: &[Mutation]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for m in mutations {
        let n = chars.len();
        match m {
            Mutation::Delete { at, len } => {
                if n > 0 {
                    let at = at % n;
                    chars.drain(at..(at + len).min(n));
                }
            }
            Mutation::Insert { at, what } => {
                let at = at % (n + 1);
                chars.splice(at..at, what.chars());
            }
            Mutation::Duplicate { at, len } => {
                if n > 0 {
                    let at = at % n;
                    let piece: Vec<char> = chars[at..(at + len).min(n)].to_vec();
                    chars.splice(at..at, piece);
                }
            }
        }
    }
    chars.into_iter().collect()
}

#[test]
fn nothing_panics_on_mutated_formulas() {
    run(
        "nothing_panics_on_mutated_formulas",
        (
            typed_formula(),
            proptest::collection::vec(mutation(), 0..4),
            snapshot(),
        ),
        |(text, mutations, snapshot)| {
            every_phase(&mutate(&text, &mutations), &snapshot.0);
            Ok(())
        },
    );
}

// ---------------------------------------------------------------------------------------
// Arithmetic, comparison and logic agree with f64.

#[derive(Debug, Clone)]
enum Arith {
    Number(f64),
    Var(usize),
    Neg(Box<Arith>),
    Not(Box<Arith>),
    Binary(BinaryOp, Box<Arith>, Box<Arith>),
    Conditional(Box<Arith>, Box<Arith>, Box<Arith>),
}

const ARITH_VARS: [&str; 4] = ["a", "b", "c", "d"];
const ARITH_SOURCES: [&str; 4] = [
    "$CurrentDedicatedNodes",
    "$CurrentLowPriorityNodes",
    "$TaskSlotsPerNode",
    "$UsableNodeCount",
];

fn arith() -> impl Strategy<Value = Arith> {
    let leaf = prop_oneof![
        literal_number().prop_map(Arith::Number),
        (0usize..4).prop_map(Arith::Var),
    ];
    leaf.prop_recursive(6, 64, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(|e| Arith::Neg(Box::new(e))),
            inner.clone().prop_map(|e| Arith::Not(Box::new(e))),
            (binary_op(), inner.clone(), inner.clone()).prop_map(|(op, l, r)| Arith::Binary(
                op,
                Box::new(l),
                Box::new(r)
            )),
            (inner.clone(), inner.clone(), inner).prop_map(|(c, t, o)| Arith::Conditional(
                Box::new(c),
                Box::new(t),
                Box::new(o)
            )),
        ]
    })
}

fn arith_text(e: &Arith) -> String {
    match e {
        Arith::Number(x) => fmt::format_number(*x),
        Arith::Var(i) => ARITH_VARS[*i].to_string(),
        Arith::Neg(e) => format!("-({})", arith_text(e)),
        Arith::Not(e) => format!("!({})", arith_text(e)),
        Arith::Binary(op, l, r) => format!("({} {} {})", arith_text(l), op.symbol(), arith_text(r)),
        Arith::Conditional(c, t, o) => format!(
            "({} ? {} : {})",
            arith_text(c),
            arith_text(t),
            arith_text(o)
        ),
    }
}

/// The same tree, computed directly with `f64` (C semantics: 1/0 truth values,
/// short-circuit logic, only the chosen branch of `?:`).
fn arith_value(e: &Arith, vars: &[f64; 4]) -> f64 {
    let truth = |b: bool| if b { 1.0 } else { 0.0 };
    match e {
        Arith::Number(x) => *x,
        Arith::Var(i) => vars[*i],
        Arith::Neg(e) => -arith_value(e, vars),
        Arith::Not(e) => truth(arith_value(e, vars) == 0.0),
        Arith::Binary(op, l, r) => {
            let x = arith_value(l, vars);
            match op {
                BinaryOp::And => return truth(x != 0.0 && arith_value(r, vars) != 0.0),
                BinaryOp::Or => return truth(x != 0.0 || arith_value(r, vars) != 0.0),
                _ => {}
            }
            let y = arith_value(r, vars);
            match op {
                BinaryOp::Add => x + y,
                BinaryOp::Sub => x - y,
                BinaryOp::Mul => x * y,
                BinaryOp::Div => x / y,
                BinaryOp::Lt => truth(x < y),
                BinaryOp::Le => truth(x <= y),
                BinaryOp::Gt => truth(x > y),
                BinaryOp::Ge => truth(x >= y),
                BinaryOp::Eq => truth(x == y),
                BinaryOp::Ne => truth(x != y),
                BinaryOp::And | BinaryOp::Or => unreachable!(),
            }
        }
        Arith::Conditional(c, t, o) => {
            if arith_value(c, vars) != 0.0 {
                arith_value(t, vars)
            } else {
                arith_value(o, vars)
            }
        }
    }
}

fn same_double(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

#[test]
fn arithmetic_agrees_with_f64() {
    let vars = (finite(), finite(), finite(), finite()).prop_map(|v| [v.0, v.1, v.2, v.3]);
    run(
        "arithmetic_agrees_with_f64",
        (arith(), vars),
        |(e, vars)| {
            let text = format!(
                "a = {}; b = {}; c = {}; d = {}; r = {};",
                ARITH_SOURCES[0],
                ARITH_SOURCES[1],
                ARITH_SOURCES[2],
                ARITH_SOURCES[3],
                arith_text(&e)
            );
            let snapshot = Snapshot {
                evaluation_time: Some(Timestamp::from_ticks(638_500_000_000_000_000).unwrap()),
                pool: PoolState {
                    current_dedicated_nodes: vars[0],
                    current_low_priority_nodes: vars[1],
                    task_slots_per_node: vars[2],
                    usable_node_count: vars[3],
                    ..PoolState::default()
                },
                ..Snapshot::default()
            };
            let parsed = parser::parse(&text);
            prop_assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
            let program = compile::compile(&parsed.formula);
            let outcome =
                interpreter::evaluate(&program, &snapshot, snapshot.evaluation_time.unwrap());
            prop_assert!(outcome.error.is_none(), "{text}: {:?}", outcome.error);
            let slot = program.slots.iter().position(|s| s.name == "r").unwrap();
            let expected = arith_value(&e, &vars);
            let got = match &outcome.values[slot] {
                Some(batchscale::Value::Double(x)) => *x,
                other => return Err(TestCaseError::fail(format!("{text}: r is {other:?}"))),
            };
            prop_assert!(
                same_double(got, expected),
                "{}: engine {:?}, f64 {:?}",
                text,
                got,
                expected
            );
            // And the public path prints that value.
            let evaluation = CompiledFormula::new(&text).unwrap().evaluate(&snapshot);
            let printed = evaluation.variable("r").map(str::to_string);
            prop_assert_eq!(
                printed,
                Some(batchscale::internals::doubles::format_double(expected))
            );
            Ok(())
        },
    );
}

// ---------------------------------------------------------------------------------------
// The results string splits back into what was assigned.

/// A value to assign: its formula text and the text the results string should show.
fn assigned_value() -> impl Strategy<Value = (String, String)> {
    use batchscale::internals::doubles::format_double;
    use batchscale::internals::time::{format_interval, format_timestamp};
    prop_oneof![
        literal_number().prop_map(|x| (fmt::format_number(x), format_double(x))),
        literal_number().prop_map(|x| (format!("-{}", fmt::format_number(x)), format_double(-x))),
        proptest::collection::vec(literal_number(), 0..4).prop_map(|v| {
            let args: Vec<String> = v.iter().map(|x| fmt::format_number(*x)).collect();
            let shown: Vec<String> = v.iter().map(|x| format_double(*x)).collect();
            (
                format!("vec({})", args.join(", ")),
                format!("[{}]", shown.join(",")),
            )
        }),
        // No ';' in strings: the results string could not be split (see below).
        "[a-zA-Z0-9 =$:.-]{0,10}".prop_map(|s| (format!("\"{s}\""), s)),
        (0i64..100_000).prop_map(|s| (
            format!("TimeInterval_Second * {s}"),
            format_interval(Interval(s * TICKS_PER_SECOND))
        )),
        (0i64..3_000_000_000).prop_map(|s| {
            let t = Timestamp::from_ticks(s * TICKS_PER_SECOND * 100).unwrap();
            let text = t.to_rfc3339();
            (format!("time(\"{text}\")"), format_timestamp(t))
        }),
        proptest::sample::select(vec![
            "requeue",
            "terminate",
            "taskcompletion",
            "retaineddata"
        ])
        .prop_map(|k| (k.to_string(), k.to_string())),
    ]
}

fn user_name() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(vec![
            "a", "A", "b", "$b", "_x", "$_", "Z9", "zz", "$TargetX"
        ])
        .prop_map(str::to_string),
        "\\$?[a-z][a-z0-9_]{0,4}",
    ]
    .prop_filter("not a built-in name", |n| {
        batchscale::internals::builtins::system_variable(n).is_none()
            && batchscale::internals::builtins::time_constant(n).is_none()
            && batchscale::DeallocationOption::from_keyword(n).is_none()
    })
}

#[test]
fn results_string_splits_back() {
    let assignments = proptest::collection::vec((user_name(), assigned_value()), 0..10);
    let targets = (
        proptest::option::of(-1e6..1e6f64),
        proptest::option::of(0u32..1000),
        proptest::option::of(proptest::sample::select(vec![
            "requeue",
            "terminate",
            "taskcompletion",
            "retaineddata",
        ])),
    );
    run(
        "results_string_splits_back",
        (assignments, targets),
        |(assignments, (dedicated, low, option))| {
            let mut statements: Vec<String> = assignments
                .iter()
                .map(|(n, (e, _))| format!("{n} = {e}"))
                .collect();
            if let Some(x) = dedicated {
                let sign = if x < 0.0 { "-" } else { "" };
                statements.push(format!(
                    "$TargetDedicatedNodes = {sign}{}",
                    fmt::format_number(x.abs())
                ));
            }
            if let Some(n) = low {
                statements.push(format!("$TargetLowPriorityNodes = {n}.75"));
            }
            if let Some(k) = option {
                statements.push(format!("$NodeDeallocationOption = {k}"));
            }
            let text = statements.join(";\n");
            let compiled = CompiledFormula::new(&text)
                .map_err(|r| TestCaseError::fail(format!("{text}: {}", r.error)))?;
            let snapshot = Snapshot {
                evaluation_time: Some(Timestamp::from_ticks(638_500_000_000_000_000).unwrap()),
                pool: PoolState {
                    target_dedicated_nodes: 3.0,
                    target_low_priority_nodes: 4.0,
                    ..PoolState::default()
                },
                ..Snapshot::default()
            };
            let run = compiled.evaluate(&snapshot).run;
            prop_assert!(run.error.is_none(), "{text}: {:?}", run.error);

            // What the results string should hold: the three targets, then each user
            // variable once with its last value, in ordinal order of the name.
            let mut expected: Vec<(String, String)> = vec![
                (
                    "$TargetDedicatedNodes".into(),
                    match dedicated {
                        Some(x) => whole(x),
                        None => "3".into(),
                    },
                ),
                (
                    "$TargetLowPriorityNodes".into(),
                    low.map_or("4".into(), |n| n.to_string()),
                ),
                (
                    "$NodeDeallocationOption".into(),
                    option.unwrap_or("requeue").to_string(),
                ),
            ];
            let mut last: std::collections::BTreeMap<Vec<u8>, (String, String)> =
                Default::default();
            for (name, (_, shown)) in &assignments {
                last.insert(name.as_bytes().to_vec(), (name.clone(), shown.clone()));
            }
            expected.extend(last.into_values());

            let split: Vec<(String, String)> = run
                .results
                .split(';')
                .map(|pair| {
                    let (n, v) = pair.split_once('=').expect("name=value");
                    (n.to_string(), v.to_string())
                })
                .collect();
            prop_assert_eq!(split, expected, "{}\n=> {}", text, run.results);
            Ok(())
        },
    );
}

/// A target as the results show it: truncated toward zero, plain digits, no `-0`.
fn whole(x: f64) -> String {
    let t = x.trunc();
    if t == 0.0 { "0".into() } else { format!("{t}") }
}

/// A string value holding `;` makes the results string ambiguous: the service prints the
/// text as it is [decided], so it cannot be split back. Pinned so the limit is known.
#[test]
fn results_string_cannot_split_a_string_holding_a_semicolon() {
    let run = CompiledFormula::new("a = \"x;b=1\"")
        .unwrap()
        .evaluate(&Snapshot::default())
        .run;
    assert!(run.results.ends_with(";a=x;b=1"), "{}", run.results);
}
