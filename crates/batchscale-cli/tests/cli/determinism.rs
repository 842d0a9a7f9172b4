//! Determinism (issue 5, point 7): the same formula and snapshot give byte-identical
//! output on every run, `rand()` included, through the library (repeated runs, fresh
//! compilations, other threads) and through the binary (separate processes, so no
//! per-process hash seed or address can leak into the output).

use std::process::Command;

use batchscale::{CompiledFormula, Snapshot, validate};

/// Uses everything whose order or value could vary: `rand()` many times, many variables
/// (results are sorted), vectors, times, run-time warnings and an error at the end.
const FORMULA: &str = "// determinism\n\
    r1 = rand(); r2 = rand(); r3 = rand() * 100;\n\
    rs = vec(rand(), rand(), rand());\n\
    zeta = 1; alpha = 2; $b = 3; B = 4; _u = 5; a10 = 6; a9 = 7;\n\
    t = time(); d = t.weekday; iv = time() - time(\"2024-01-01T00:00:00Z\");\n\
    s = $CPUPercent.GetSample(5); p = $CPUPercent.GetSamplePercent(TimeInterval_Minute * 5);\n\
    w = val(s, 10); inf = 1 / 0;\n\
    $TargetDedicatedNodes = round(r3);\n\
    $NodeDeallocationOption = r1 < 0.5 ? taskcompletion : retaineddata;\n\
    fail = $CPUPercent.GetSample(TimeInterval_Hour);";

const SNAPSHOT: &str = r#"{
  "evaluationTime": "2025-04-24T11:35:00.1234567Z",
  "pool": {"currentDedicatedNodes": 3},
  "metrics": {"$CPUPercent": {"start": "2025-04-24T11:20:00Z", "values": [1, 2, null, 4, 5, 6, 7]}},
  "randomSeed": 42
}"#;

fn snapshot(json: &str) -> Snapshot {
    Snapshot::from_json(json, "pool.json").unwrap()
}

/// Everything a run produces, as bytes: the AutoScaleRun JSON, the variables, the
/// warnings.
fn output(formula: &CompiledFormula, snapshot: &Snapshot) -> String {
    let e = formula.evaluate(snapshot);
    format!(
        "{}\n{:?}\n{:?}\n{:?}",
        serde_json::to_string(&e.run).unwrap(),
        e.variables().collect::<Vec<_>>(),
        e.warnings,
        e.error_span
    )
}

#[test]
fn the_library_gives_identical_output_on_every_run() {
    let s = snapshot(SNAPSHOT);
    let compiled = CompiledFormula::new(FORMULA).unwrap();
    let first = output(&compiled, &s);
    assert!(first.contains("InsufficientSampleData"), "{first}");
    for _ in 0..50 {
        assert_eq!(output(&compiled, &s), first);
    }
    // A fresh compilation, a re-read snapshot, and another thread: the same bytes.
    let again = CompiledFormula::new(FORMULA).unwrap();
    assert_eq!(output(&again, &snapshot(SNAPSHOT)), first);
    let threads: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(|| {
                output(&CompiledFormula::new(FORMULA).unwrap(), &snapshot(SNAPSHOT))
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), first);
    }
    // Validation too.
    let v = format!("{:?}", validate(FORMULA, None));
    for _ in 0..10 {
        assert_eq!(format!("{:?}", validate(FORMULA, None)), v);
    }
}

#[test]
fn rand_is_seeded_by_the_snapshot_else_by_the_evaluation_time() {
    let rands = |json: &str| {
        let e = CompiledFormula::new("a = rand(); b = rand(); c = rand();")
            .unwrap()
            .evaluate(&snapshot(json));
        e.run.results
    };
    let seeded = rands(r#"{"evaluationTime": "2025-01-01T00:00:00Z", "randomSeed": 7}"#);
    assert_eq!(
        seeded,
        rands(r#"{"evaluationTime": "2030-06-01T00:00:00Z", "randomSeed": 7}"#)
            .replace("2030-06-01", "2025-01-01"),
        "the seed alone decides rand()"
    );
    assert_ne!(
        seeded,
        rands(r#"{"evaluationTime": "2025-01-01T00:00:00Z", "randomSeed": 8}"#)
    );
    // Without a seed, the evaluation time seeds it: same time, same values.
    let unseeded = rands(r#"{"evaluationTime": "2025-01-01T00:00:00Z"}"#);
    assert_eq!(
        unseeded,
        rands(r#"{"evaluationTime": "2025-01-01T00:00:00Z"}"#)
    );
    assert_ne!(
        unseeded,
        rands(r#"{"evaluationTime": "2025-01-01T00:00:00.0000001Z"}"#)
    );
    // Three different values in [0, 1).
    let values: Vec<f64> = unseeded
        .split(';')
        .skip(3)
        .map(|p| p.split_once('=').unwrap().1.parse().unwrap())
        .collect();
    assert_eq!(values.len(), 3);
    assert!(values.iter().all(|x| (0.0..1.0).contains(x)), "{values:?}");
    assert!(values[0] != values[1] && values[1] != values[2]);
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("batchscale-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn batchscale(args: &[&str]) -> (Option<i32>, Vec<u8>, Vec<u8>) {
    let out = Command::new(env!("CARGO_BIN_EXE_batchscale"))
        .args(args)
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    (out.status.code(), out.stdout, out.stderr)
}

#[test]
fn the_binary_gives_identical_output_on_every_run() {
    let dir = temp_dir("determinism");
    let formula = dir.join("f.formula");
    let pool = dir.join("pool.json");
    std::fs::write(&formula, FORMULA).unwrap();
    std::fs::write(&pool, SNAPSHOT).unwrap();
    let (f, p) = (formula.to_str().unwrap(), pool.to_str().unwrap());
    let commands: Vec<Vec<&str>> = vec![
        vec!["eval", f, "--pool", p, "--format", "json"],
        vec!["eval", f, "--pool", p],
        vec![
            "eval",
            f,
            "--pool",
            p,
            "--at",
            "2025-04-24T11:36:00Z",
            "--format",
            "json",
        ],
        vec!["check", f, "--format", "json"],
        vec!["check", f],
        vec!["fmt", f],
    ];
    for args in commands {
        let first = batchscale(&args);
        for _ in 0..5 {
            let again = batchscale(&args);
            assert_eq!(again.0, first.0, "{args:?}");
            assert!(
                again.1 == first.1 && again.2 == first.2,
                "{args:?} printed differently:\n{}\n---\n{}",
                String::from_utf8_lossy(&first.1),
                String::from_utf8_lossy(&again.1)
            );
        }
    }
    // The binary and the library agree on the AutoScaleRun.
    let (_, stdout, _) = batchscale(&["eval", f, "--pool", p, "--format", "json"]);
    let library = CompiledFormula::new(FORMULA)
        .unwrap()
        .evaluate(&snapshot(SNAPSHOT))
        .run;
    assert_eq!(
        String::from_utf8(stdout).unwrap().trim_end(),
        serde_json::to_string(&library).unwrap()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
