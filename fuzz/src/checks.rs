// What each fuzz input goes through. Included by path from the fuzz crate
// (`fuzz/src/lib.rs`) and from the main crate's corpus replay test
// (`tests/fuzz_corpus.rs`), so both run exactly the same checks. Any panic is a finding.

use std::sync::OnceLock;

use batchscale::Metric;
use batchscale::internals::syntax::{fmt, lexer, nesting, parser};
use batchscale::time::{Interval, TICKS_PER_SECOND, Timestamp};
use batchscale::{CompiledFormula, validate};
use batchscale::{SampleHistory, Snapshot};

/// The evaluation instant when a snapshot does not give one.
fn default_now() -> Timestamp {
    Timestamp::from_ticks(638_500_000_000_000_000).expect("in range")
}

/// Snapshots to evaluate fuzzed formulas against: empty, a busy pool, and the edges of
/// time.
fn snapshots() -> &'static [(Snapshot, Timestamp)] {
    static SNAPSHOTS: OnceLock<Vec<(Snapshot, Timestamp)>> = OnceLock::new();
    SNAPSHOTS.get_or_init(|| {
        let now = default_now();
        let mut busy = Snapshot::default();
        busy.pool.current_dedicated_nodes = 4.0;
        busy.pool.target_dedicated_nodes = 4.0;
        busy.random_seed = Some(7);
        for (i, metric) in Metric::ALL.into_iter().enumerate() {
            let samples = (0..(i * 7 % 40))
                .map(|k| {
                    let t = Timestamp::from_ticks(now.ticks() - (k as i64) * 30 * TICKS_PER_SECOND)
                        .expect("in range");
                    (t, (k * i) as f64 / 3.0 - 2.0)
                })
                .collect();
            busy.metrics.set(
                metric,
                SampleHistory::from_samples(Interval(30 * TICKS_PER_SECOND), samples)
                    .expect("distinct times"),
            );
        }
        let first = Timestamp::from_ticks(0).expect("in range");
        let last = Timestamp::from_ticks(batchscale::time::MAX_TIMESTAMP_TICKS).expect("in range");
        vec![
            (Snapshot::default(), now),
            (busy.clone(), now),
            (busy.clone(), first),
            (busy, last),
        ]
    })
}

/// A formula text: every phase, and the formatter's promises. The library's entry points
/// give a deep formula the stack it needs; the internals used here directly (the parser's
/// tree, the printer) run on a stack sized for the text (it nests at most as deeply as it
/// has characters).
pub fn formula(data: &[u8]) {
    nesting::with_stack(data.len(), || formula_checks(data));
}

fn formula_checks(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let text = text.as_ref();

    let _ = lexer::tokens(text).count();
    let parsed = parser::parse(text);
    let too_deep = !nesting::too_deep(&parsed.formula).is_empty();
    let clean = parsed.errors.is_empty() && !too_deep;
    let printed = clean.then(|| fmt::print_formula(&parsed.formula));
    nesting::dismantle(parsed.formula);

    // The formatter refuses exactly what has syntax errors (or nests deeper than any text
    // of 8192 characters can); what it
    // writes parses to the same tree and formats to itself.
    match fmt::format(text) {
        Ok(formatted) => {
            assert!(clean, "format accepted a formula with syntax errors");
            let again = parser::parse(&formatted);
            assert!(again.errors.is_empty(), "{formatted:?}: {:?}", again.errors);
            assert_eq!(
                fmt::print_formula(&again.formula),
                printed.unwrap_or_default(),
                "formatting changed the tree of {text:?}"
            );
            assert_eq!(
                fmt::format(&formatted).as_deref(),
                Ok(formatted.as_str()),
                "formatting is not idempotent"
            );
        }
        Err(diagnostics) => {
            assert!(!clean, "format refused a clean formula: {diagnostics:?}");
            assert!(!diagnostics.is_empty());
        }
    }

    let validation = validate(text, None);
    match CompiledFormula::new(text) {
        Ok(compiled) => {
            assert!(validation.rejection.is_none());
            let (snapshot, now) = &snapshots()[data.len() % snapshots().len()];
            let first = compiled.evaluate_at(snapshot, *now);
            let second = compiled.evaluate_at(snapshot, *now);
            assert_eq!(first, second, "two runs of one formula differ");
            assert!(
                first.run.results.starts_with("$TargetDedicatedNodes="),
                "{}",
                first.run.results
            );
            let json = serde_json::to_string(&first.run).expect("serialises");
            assert!(json.starts_with("{\"timestamp\":"));
        }
        Err(rejection) => {
            assert_eq!(validation.rejection.as_ref(), Some(&rejection.error));
            assert!(!rejection.diagnostics.is_empty());
            let detail = rejection.error.detail().expect("a rejection says where");
            assert!(detail.starts_with("Line "), "{detail}");
        }
    }
}

/// Formulas that touch every part of a snapshot.
fn snapshot_formulas() -> &'static [CompiledFormula] {
    static FORMULAS: OnceLock<Vec<CompiledFormula>> = OnceLock::new();
    FORMULAS.get_or_init(|| {
        let mut texts = vec![
            "$TargetDedicatedNodes = $CurrentDedicatedNodes + $CurrentLowPriorityNodes;\n\
             $TargetLowPriorityNodes = $TaskSlotsPerNode * $UsableNodeCount + $TargetLowPriorityNodes;\n\
             r = rand(); t = time(); w = t.weekday;"
                .to_string(),
        ];
        for metric in Metric::ALL {
            let m = metric.name();
            texts.push(format!(
                "n = {m}.Count(); p = {m}.GetSamplePeriod(); last = {m}.GetSample(1);\n\
                 some = {m}.GetSample(10); pct = {m}.GetSamplePercent(TimeInterval_Minute * 5);\n\
                 pct2 = {m}.GetSamplePercent(time() - TimeInterval_Hour, time());\n\
                 all = {m}.GetSample(TimeInterval_Hour, 0); s = percentile(vec(all, 1), 90);\n\
                 w = {m}.GetSample(TimeInterval_Minute * 10);\n\
                 b = {m}.HistoryBeginTime();"
            ));
        }
        texts
            .iter()
            .map(|t| CompiledFormula::new(t).expect("the fuzz formulas are valid"))
            .collect()
    })
}

/// A snapshot's JSON text: refused with a place, or read, written back and read again to
/// the same snapshot, and evaluated.
pub fn snapshot(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Snapshot::from_json(text, "fuzz.json") {
        Ok(snapshot) => {
            let json = snapshot.to_json().to_string();
            let again = Snapshot::from_json(&json, "again.json")
                .unwrap_or_else(|e| panic!("to_json wrote what from_json refuses: {e}\n{json}"));
            assert_eq!(
                again, snapshot,
                "the snapshot changed on its way through JSON"
            );
            let now = snapshot.evaluation_time.unwrap_or_else(default_now);
            for formula in snapshot_formulas() {
                let first = formula.evaluate_at(&snapshot, now);
                assert_eq!(first, formula.evaluate_at(&snapshot, now));
            }
        }
        Err(e) => {
            assert!(e.line >= 1 && e.column >= 1, "{e:?}");
            assert_eq!(e.source_name, "fuzz.json");
            let _ = e.to_string();
        }
    }
}
