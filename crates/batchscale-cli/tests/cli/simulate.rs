//! `batchscale simulate` through the binary: the files it writes, replay of every run with
//! `batchscale eval`, determinism across processes and thread counts, `--compare`,
//! `--seeds`, and bad input (exit 2 with the file, line and what was expected).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU64, Ordering};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

fn batchscale(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_batchscale"))
        .args(args)
        .current_dir(ROOT)
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs")
}

fn simulate(args: &[&str]) -> Output {
    let mut all = vec!["simulate"];
    all.extend_from_slice(args);
    batchscale(&all)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

static DIRS: AtomicU64 = AtomicU64::new(0);

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "batchscale-simulate-{name}-{}-{}",
        std::process::id(),
        DIRS.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

const COLD: [&str; 5] = [
    "examples/pending-tasks.formula",
    "--scenario",
    "examples/simulate/cold-start.toml",
    "--workload",
    "examples/simulate/cold-start.csv",
];

#[test]
fn the_summary_table_names_every_figure() {
    let o = simulate(&COLD);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    for label in [
        "mode",
        "node-hours (dedicated, low-priority)",
        "idle node-hours",
        "tasks submitted",
        "  never runnable",
        "wasted task-hours",
        "queue wait p99 (s)",
        "time to first node (s)",
        "  wait for evaluation",
        "makespan (s)",
        "evaluations",
        "capped (s)",
        "under-provisioned (s)",
        "over-provisioned (s)",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(label)),
            "no row {label:?} in\n{text}"
        );
    }
    assert!(
        text.contains("time to first node (s)                                 360"),
        "{text}"
    );
}

#[test]
fn json_output_has_the_spec_shape_in_its_order() {
    let o = simulate(&[
        COLD[0], COLD[1], COLD[2], COLD[3], COLD[4], "--format", "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let keys = [
        "\"mode\"",
        "\"seed\"",
        "\"start\"",
        "\"end\"",
        "\"parameters\"",
        "\"nodeHours\"",
        "\"coreHours\"",
        "\"idleNodeHours\"",
        "\"cost\"",
        "\"tasks\"",
        "\"wastedTaskHours\"",
        "\"queueWait\"",
        "\"timeToFirstNode\"",
        "\"makespan\"",
        "\"evaluations\"",
        "\"cappedSeconds\"",
        "\"underProvisionedSeconds\"",
        "\"overProvisionedSeconds\"",
    ];
    let positions: Vec<usize> = keys
        .iter()
        .map(|k| text.find(k).unwrap_or_else(|| panic!("no {k}")))
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "keys out of order"
    );
    assert_eq!(v["mode"], "workload");
    assert_eq!(v["tasks"]["submitted"], 40);
    assert_eq!(v["timeToFirstNode"]["total"], 360);
    assert_eq!(v["parameters"]["ingestionLag"], 15);
    assert_eq!(v["parameters"]["allocationDelay"]["distribution"], "fixed");
    assert_eq!(v["parameters"]["allocationDelay"]["value"], 300);
    assert!(
        v["parameters"]["defaults"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("historyRetention"))
    );
}

/// Runs `simulate --out --snapshots` and checks every line of runs.jsonl against
/// `batchscale eval` of its snapshot, byte for byte; `formula_at` names the formula in
/// force at each evaluation.
fn replay(args: &[&str], formula_at: &dyn Fn(&str) -> String) {
    let dir = temp_dir("replay");
    let out = dir.join("out");
    let mut all: Vec<&str> = args.to_vec();
    let out_text = out.display().to_string();
    all.extend(["--out", &out_text, "--snapshots"]);
    let o = simulate(&all);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let runs = read(&out.join("runs.jsonl"));
    let lines: Vec<&str> = runs.lines().collect();
    assert!(lines.len() >= 5, "only {} evaluations", lines.len());
    for (i, line) in lines.iter().enumerate() {
        let time = &line["{\"time\":\"".len()..line.find("\",\"run\":").unwrap()];
        let rest = &line[line.find("\"run\":").unwrap() + "\"run\":".len()..];
        let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<serde_json::Value>();
        stream.next().unwrap().unwrap();
        let run_text = &rest[..stream.byte_offset()];
        let snapshot = out.join("snapshots").join(format!("{i:06}.json"));
        let snapshot = snapshot.display().to_string();
        let formula = formula_at(time);
        let e = batchscale(&["eval", &formula, "--pool", &snapshot, "--format", "json"]);
        assert_eq!(
            stdout(&e).trim_end(),
            run_text,
            "evaluation {i} at {time} differs from `batchscale eval {formula} --pool {snapshot}`"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn every_run_equals_batchscale_eval_of_its_snapshot() {
    replay(
        &[
            "examples/simulate/requeue.formula",
            "--scenario",
            "examples/simulate/waves.toml",
            "--workload",
            "examples/simulate/waves.csv",
            "--duration",
            "3h",
            "--interval",
            "10m",
            "--seed",
            "9",
        ],
        &|_| "examples/simulate/requeue.formula".to_string(),
    );
}

#[test]
fn runs_after_a_formula_change_replay_with_the_formula_then_in_force() {
    let dir = temp_dir("change");
    let a = write(
        &dir,
        "a.formula",
        "x = rand(); $TargetDedicatedNodes = x * 4;\nc = $CPUPercent.GetSample(TimeInterval_Minute * 10, 50);\n",
    );
    write(
        &dir,
        "b.formula",
        "$TargetLowPriorityNodes = $PendingTasks.GetSamplePercent(TimeInterval_Minute * 5);\n$TargetDedicatedNodes = val($ActiveTasks.GetSample(1), 0) / 3;\n$NodeDeallocationOption = terminate;\n",
    );
    let scenario = write(
        &dir,
        "s.toml",
        "[simulation]\nstart = \"2025-01-06T00:00:00Z\"\nduration = \"2h\"\ninterval = \"5m\"\n[timing]\nsample_drop = 0.2\nallocation_delay = { distribution = \"uniform\", min = \"1m\", max = \"6m\" }\n[spot]\npreemption_per_node_hour = 2.0\n[[changes]]\nat = \"2025-01-06T01:02:00Z\"\nformula = \"b.formula\"\n",
    );
    let workload = write(
        &dir,
        "w.csv",
        "submit,duration,slots\n0,900,1\n600,3000,1\n3000,600,1\n3010,600,1\n4000,60,1\n",
    );
    let b = dir.join("b.formula").display().to_string();
    replay(
        &[&a, "--scenario", &scenario, "--workload", &workload],
        &|time| {
            if time < "2025-01-06T01:02:00Z" {
                a.clone()
            } else {
                b.clone()
            }
        },
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_same_inputs_give_byte_identical_files_in_separate_processes() {
    let dir = temp_dir("determinism");
    let outs: Vec<PathBuf> = (0..2).map(|i| dir.join(format!("out{i}"))).collect();
    for out in &outs {
        let out = out.display().to_string();
        let o = simulate(&[
            "examples/simulate/spot.formula",
            "--scenario",
            "examples/simulate/spot.toml",
            "--workload",
            "examples/simulate/bursty-weekday.csv",
            "--duration",
            "1d",
            "--out",
            &out,
            "--snapshots",
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    for file in [
        "summary.json",
        "runs.jsonl",
        "timeseries.csv",
        "timeline.svg",
        "snapshots/000040.json",
    ] {
        assert_eq!(
            read(&outs[0].join(file)),
            read(&outs[1].join(file)),
            "{file} differs between two runs"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn decided_seeds_report_p50_p95_max_with_the_first_seed_and_do_not_depend_on_threads() {
    let run = |threads: &str| {
        let o = Command::new(env!("CARGO_BIN_EXE_batchscale"))
            .args([
                "simulate",
                "examples/simulate/spot.formula",
                "--scenario",
                "examples/simulate/spot.toml",
                "--workload",
                "examples/simulate/bursty-weekday.csv",
                "--duration",
                "12h",
                "--seeds",
                "6",
                "--seed",
                "3",
                "--format",
                "json",
            ])
            .current_dir(ROOT)
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        stdout(&o)
    };
    let one = run("1");
    assert_eq!(one, run("2"));
    let v: serde_json::Value = serde_json::from_str(&one).unwrap();
    assert_eq!(v["seed"], 3);
    assert_eq!(v["seeds"], 6);
    for key in ["p50", "p95", "max"] {
        assert!(v["nodeHours"]["lowPriority"][key].is_number(), "{key}");
    }
    assert!(
        v["nodeHours"]["lowPriority"]["p50"].as_f64()
            <= v["nodeHours"]["lowPriority"]["max"].as_f64()
    );
}

#[test]
fn decided_compare_writes_a_and_b_and_one_plot_with_both() {
    let dir = temp_dir("compare");
    let out = dir.join("out").display().to_string();
    let o = simulate(&[
        "examples/simulate/requeue.formula",
        "--compare",
        "examples/simulate/taskcompletion.formula",
        "--scenario",
        "examples/simulate/waves.toml",
        "--workload",
        "examples/simulate/waves.csv",
        "--out",
        &out,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    let header = text.lines().next().unwrap();
    assert!(
        header.contains("a: examples/simulate/requeue.formula"),
        "{header}"
    );
    assert!(
        header.contains("b: examples/simulate/taskcompletion.formula"),
        "{header}"
    );
    let out = Path::new(&out);
    let summary: serde_json::Value =
        serde_json::from_str(&read(&out.join("summary.json"))).unwrap();
    let wasted_a = summary["a"]["wastedTaskHours"].as_f64().unwrap();
    let wasted_b = summary["b"]["wastedTaskHours"].as_f64().unwrap();
    assert!(wasted_a > 1.0, "requeue wastes work: {wasted_a}");
    assert_eq!(wasted_b, 0.0);
    for side in ["a", "b"] {
        for file in [
            "summary.json",
            "runs.jsonl",
            "timeseries.csv",
            "timeline.svg",
        ] {
            assert!(out.join(side).join(file).is_file(), "{side}/{file}");
        }
    }
    let svg = read(&out.join("timeline.svg"));
    assert!(svg.contains("a: nodes in the pool") && svg.contains("b: nodes in the pool"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn out_writes_the_time_series_with_the_spec_columns_one_row_per_tick() {
    let dir = temp_dir("series");
    let out = dir.join("out").display().to_string();
    let o = simulate(&[COLD[0], COLD[1], COLD[2], COLD[3], COLD[4], "--out", &out]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let series = read(&Path::new(&out).join("timeseries.csv"));
    let mut lines = series.lines();
    assert_eq!(
        lines.next().unwrap(),
        "time,targetDedicated,targetLowPriority,rawTargetDedicated,rawTargetLowPriority,dedicatedNodes,lowPriorityNodes,startingNodes,idleNodes,runningNodes,leavingNodes,preemptedNodes,usableNodes,activeTasks,runningTasks,pendingTasks,usedSlots,totalSlots,nodeHours,cost"
    );
    // Ninety minutes of 30-s ticks from the start.
    assert_eq!(lines.clone().count(), 180);
    assert!(lines.next().unwrap().starts_with("2025-01-06T09:00:00Z,"));
    let svg = read(&Path::new(&out).join("timeline.svg"));
    assert!(svg.starts_with("<svg"));
    for text in [
        "active (queued)",
        "usable nodes",
        "target (effective)",
        "failed evaluation",
        "time (UTC)",
        "Mon 06 09:00",
    ] {
        assert!(svg.contains(text), "the plot has no {text:?}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn open_loop_uses_the_recorded_metrics() {
    let dir = temp_dir("metrics");
    let metrics = write(
        &dir,
        "m.json",
        "{\"$CPUPercent\": {\"start\": \"2025-01-06T00:00:00Z\", \"period\": \"PT1M\", \"values\": [90, 95, 99, 97, 92, 96, 98, 90, 91, 93, 94, 95]}}",
    );
    let o = simulate(&[
        "examples/cpu.formula",
        "--metrics",
        &metrics,
        "--start",
        "2025-01-06T00:00:00Z",
        "--duration",
        "1h",
        "--interval",
        "5m",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["mode"], "metrics");
    assert_eq!(v["evaluations"]["total"], 12);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_rejected_formula_exits_1() {
    let dir = temp_dir("rejected");
    let f = write(&dir, "bad.formula", "$TargetDedicatedNodes = 2 *;");
    let o = simulate(&[&f]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("rejected: AutoScalingFormulaSyntaxError: Line 1, Col 28"),
        "{}",
        stdout(&o)
    );
    let o = simulate(&[&f, "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["code"], "AutoScalingFormulaSyntaxError");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Runs with bad input; expects exit 2, no panic, and `expected` in standard error.
fn refused(args: &[&str], expected: &str) {
    let o = simulate(args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        err.contains(expected),
        "{args:?}: expected {expected:?} in\n{err}"
    );
}

#[test]
fn bad_scenarios_are_refused_with_file_line_and_field() {
    let dir = temp_dir("bad-scenario");
    let s = write(
        &dir,
        "s.toml",
        "[pool]\ncores = 4\n[timing]\nallocation_dealy = \"5m\"\n",
    );
    refused(
        &["examples/pending-tasks.formula", "--scenario", &s],
        &format!("{s}:4:1: "),
    );
    refused(
        &["examples/pending-tasks.formula", "--scenario", &s],
        "unknown field `allocation_dealy`",
    );
    let s = write(&dir, "s2.toml", "[timing]\nstart_delay = \"one minute\"\n");
    refused(
        &["examples/pending-tasks.formula", "--scenario", &s],
        &format!("{s}:2:15: at timing.start_delay: "),
    );
    let s = write(&dir, "s3.toml", "[spot]\npreemption_per_node_hour = -1\n");
    refused(
        &["examples/pending-tasks.formula", "--scenario", &s],
        "at spot.preemption_per_node_hour: expected a rate",
    );
    let s = write(&dir, "s4.toml", "[pool\n");
    refused(
        &["examples/pending-tasks.formula", "--scenario", &s],
        &format!("{s}:1:"),
    );
    let s = write(&dir, "s5.json", "{\"pool\": {\"cores\": \"four\"}}");
    refused(
        &["examples/pending-tasks.formula", "--scenario", &s],
        &format!("{s}:1:"),
    );
    let s = write(
        &dir,
        "s6.toml",
        "[[changes]]\nat = \"2025-01-06T10:00:00Z\"\nformula = \"missing.formula\"\n",
    );
    refused(
        &["examples/pending-tasks.formula", "--scenario", &s],
        "at changes[0].formula: cannot read the formula",
    );
    refused(
        &[
            "examples/pending-tasks.formula",
            "--scenario",
            "nowhere.toml",
        ],
        "nowhere.toml: cannot read the scenario",
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_workloads_are_refused_with_file_line_and_column() {
    let dir = temp_dir("bad-workload");
    let w = write(&dir, "w.csv", "submit,duration\n0,60\n30,-5\n");
    refused(
        &["examples/pending-tasks.formula", "--workload", &w],
        &format!("{w}:3:2: at duration: expected a duration in seconds"),
    );
    let w = write(&dir, "w2.csv", "submit,runtime\n0,60\n");
    refused(
        &["examples/pending-tasks.formula", "--workload", &w],
        &format!("{w}:1:2: at runtime: unknown column"),
    );
    let w = write(
        &dir,
        "w3.jsonl",
        "{\"submit\": 0, \"duration\": 60}\n{\"submit\": 0, \"duration\": 60, \"slot\": 2}\n",
    );
    refused(
        &["examples/pending-tasks.formula", "--workload", &w],
        &format!("{w}:2:"),
    );
    let w = write(&dir, "w4.swf", "; SWF\n1 0 0 60 1\n2 10 0 sixty 1\n");
    refused(
        &["examples/pending-tasks.formula", "--workload", &w],
        &format!("{w}:3: at field 4: expected a number"),
    );
    let w = write(&dir, "w5.txt", "submit,duration\n");
    refused(
        &["examples/pending-tasks.formula", "--workload", &w],
        "unknown workload format",
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_metrics_are_refused_with_file_line_and_path() {
    let dir = temp_dir("bad-metrics");
    let m = write(
        &dir,
        "m.json",
        "{\n  \"$CPUPercent\": {\"values\": [1, 2, \"x\"]}\n}\n",
    );
    refused(
        &["examples/cpu.formula", "--metrics", &m],
        &format!("{m}:2:"),
    );
    refused(
        &["examples/cpu.formula", "--metrics", &m],
        "$CPUPercent.values[2]",
    );
    let m = write(&dir, "m2.json", "[1, 2]");
    refused(
        &["examples/cpu.formula", "--metrics", &m],
        "expected a JSON object keyed by metric name",
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_flags_are_refused() {
    let f = "examples/pending-tasks.formula";
    refused(&[f, "--interval", "1m"], "--interval");
    refused(&[f, "--interval", "soon"], "--interval");
    refused(&[f, "--duration", "0s"], "--duration");
    refused(&[f, "--duration", "a week"], "--duration");
    refused(&[f, "--start", "Monday"], "--start");
    refused(&[f, "--seeds", "0"], "--seeds");
    refused(&[f, "--snapshots"], "--out");
    refused(
        &[f, "--workload", "a.csv", "--metrics", "m.json"],
        "cannot be used with",
    );
    refused(
        &["missing.formula"],
        "cannot read 'missing.formula': no such file",
    );
    refused(&[f, "--compare", "-", "-"], "");
}

#[test]
fn a_workload_of_zero_tasks_and_a_duration_shorter_than_one_interval_run() {
    let dir = temp_dir("small");
    let w = write(&dir, "w.csv", "submit,duration\n");
    let o = simulate(&[
        "examples/pending-tasks.formula",
        "--workload",
        &w,
        "--duration",
        "10m",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["tasks"]["submitted"], 0);
    assert_eq!(v["evaluations"]["total"], 1);
    assert_eq!(v["timeToFirstNode"], serde_json::Value::Null);
    assert_eq!(v["end"], "2025-01-06T00:10:00Z");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_formula_that_fails_every_evaluation_is_reported_not_fatal() {
    let dir = temp_dir("failing");
    let f = write(
        &dir,
        "f.formula",
        "$TargetDedicatedNodes = $CPUPercent.GetSample(TimeInterval_Hour, 100);",
    );
    let o = simulate(&[&f, "--duration", "2h", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["evaluations"]["total"], 8);
    assert_eq!(v["evaluations"]["failed"], 8);
    assert_eq!(
        v["evaluations"]["failedByCode"]["InsufficientSampleData"],
        8
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn decided_interval_takes_the_forms_of_check_interval() {
    let run = |interval: &str| {
        let o = simulate(&[
            "examples/working-hours.formula",
            "--duration",
            "2h",
            "--interval",
            interval,
            "--format",
            "json",
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        (
            v["evaluations"]["total"].clone(),
            v["parameters"]["interval"].clone(),
        )
    };
    let short = run("10m");
    assert_eq!(short, (serde_json::json!(12), serde_json::json!(600)));
    assert_eq!(run("PT10M"), short);
    assert_eq!(run("PT600S"), short);
}

#[test]
fn every_bundled_example_runs() {
    let readme = read(&Path::new(ROOT).join("examples/simulate/README.md"));
    let mut ran = 0;
    for line in readme.lines() {
        let Some(command) = line
            .split('`')
            .find(|p| p.starts_with("batchscale simulate "))
        else {
            continue;
        };
        let args: Vec<&str> = command.split_whitespace().skip(1).collect();
        let o = batchscale(&args);
        assert_eq!(o.status.code(), Some(0), "{command}: {}", stderr(&o));
        assert!(stdout(&o).contains("evaluations"), "{command}");
        ran += 1;
    }
    assert_eq!(ran, 5, "the examples' README lists five commands");
}
