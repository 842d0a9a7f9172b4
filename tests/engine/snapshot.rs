//! The pool snapshot's JSON (interfaces.md section 1) through the public API: what is
//! read, the defaults, what is refused and exactly where (file, JSON path, line and
//! column), and writing it back.
//!
//! Then the edges (issue 5, point 5): a million samples per metric, gaps, unsorted samples,
//! duplicate times, zero or negative periods, far-future and far-past times, negative node
//! counts. Each works as documented (interfaces.md section 1, language.md section 7) or is
//! refused with the exact place named.

use batchscale::time::{MAX_TIMESTAMP_TICKS, TICKS_PER_DAY, TICKS_PER_MINUTE, TICKS_PER_SECOND};
use batchscale::{
    CompiledFormula, DEFAULT_PERIOD, Evaluation, Interval, Metric, PoolState, SampleHistory,
    Snapshot, SnapshotError, Timestamp,
};
/// The reader: what is read, the defaults, what is refused and where.
mod reader {

    #[test]
    fn a_snapshot_serialises_to_what_it_reads() {
        let text = r#"{"evaluationTime":"2024-05-01T10:00:00Z","pool":{"currentDedicatedNodes":2},
            "metrics":{"$ActiveTasks":{"start":"2024-05-01T09:59:00Z","values":[1,null,3]}},"randomSeed":7}"#;
        let snapshot = Snapshot::from_json(text, "s.json").unwrap();
        let written = serde_json::to_string(&snapshot).unwrap();
        let back: Snapshot = serde_json::from_str(&written).unwrap();
        assert_eq!(back, snapshot);
    }

    use super::*;

    /// The contract's example, also a fixture for the CLI's tests.
    const EXAMPLE: &str = include_str!("../data/snapshots/example.json");

    fn ts(text: &str) -> Timestamp {
        Timestamp::parse_rfc3339(text).unwrap()
    }

    fn parse(text: &str) -> Snapshot {
        Snapshot::from_json(text, "test.json").unwrap_or_else(|e| panic!("{e}"))
    }

    fn parse_err(text: &str) -> SnapshotError {
        match Snapshot::from_json(text, "test.json") {
            Ok(s) => panic!("accepted {text}: {s:?}"),
            Err(e) => e,
        }
    }

    /// Asserts the error's path, position and that its message contains `needle`.
    #[track_caller]
    fn assert_err(text: &str, path: &str, line: usize, column: usize, needle: &str) {
        let e = parse_err(text);
        let shown = e.to_string();
        assert_eq!(e.path, path, "path of {shown}");
        assert_eq!((e.line, e.column), (line, column), "position of {shown}");
        assert!(e.message.contains(needle), "{shown} lacks {needle:?}");
        assert!(!e.message.contains(" at line "), "{shown}");
        assert_eq!(e.source_name, "test.json");
    }

    #[test]
    fn full_example_parses() {
        let s = parse(EXAMPLE);
        assert_eq!(s.evaluation_time, Some(ts("2025-04-24T11:34:37.971Z")));
        assert_eq!(s.random_seed, Some(7));
        assert_eq!(
            s.pool,
            PoolState {
                target_dedicated_nodes: 1.0,
                target_low_priority_nodes: 0.0,
                current_dedicated_nodes: 1.0,
                current_low_priority_nodes: 0.0,
                task_slots_per_node: 1.0,
                usable_node_count: 1.0,
            }
        );
        let active = s.metrics.get(Metric::ActiveTasks);
        assert_eq!(active.period, DEFAULT_PERIOD);
        assert_eq!(
            active.times(),
            vec![
                ts("2025-04-24T11:20:00Z"),
                ts("2025-04-24T11:20:30Z"),
                ts("2025-04-24T11:21:30Z"),
            ]
        );
        assert_eq!(active.values(), vec![0.0, 0.0, 0.0]);
        let cpu = s.metrics.get(Metric::CpuPercent);
        assert_eq!(cpu.period, DEFAULT_PERIOD);
        assert_eq!(cpu.times(), vec![ts("2025-04-24T11:34:00Z")]);
        assert_eq!(cpu.values(), vec![12.5]);
        for (metric, history) in s.metrics.iter() {
            if metric != Metric::ActiveTasks && metric != Metric::CpuPercent {
                assert_eq!(history, &SampleHistory::default());
            }
        }
    }

    #[test]
    fn defaults() {
        assert_eq!(parse("{}"), Snapshot::default());
        assert_eq!(parse(" {\n}\n "), Snapshot::default());
        let s = parse(r#"{"pool": {"currentDedicatedNodes": 3, "currentLowPriorityNodes": -1}}"#);
        assert_eq!(s.pool.usable_node_count, 2.0);
        assert_eq!(s.pool.task_slots_per_node, 1.0);
        assert_eq!(s.pool.target_dedicated_nodes, 0.0);
        assert_eq!(s.pool.current_low_priority_nodes, -1.0);
        assert_eq!(parse(r#"{"pool": {}}"#).pool, PoolState::default());
        assert_eq!(parse(r#"{"metrics": {}}"#), Snapshot::default());
        assert_eq!(s.evaluation_time, None);
        assert_eq!(s.random_seed, None);
        let d = SampleHistory::default();
        assert_eq!(d.period, Interval(300_000_000));
        assert!(d.is_empty());
    }

    #[test]
    fn dollarless_names_and_periods() {
        let s = parse(
            r#"{"metrics": {
                "ActiveTasks": {"start": "2025-01-01T00:00:00Z", "period": "PT1M", "values": [1, 2]},
                "PendingTasks": {"period": "PT5M"},
                "RunningTasks": {},
                "FailedTasks": {"period": "PT0.5S", "samples": []}
            }, "randomSeed": 18446744073709551615}"#,
        );
        let active = s.metrics.get(Metric::ActiveTasks);
        assert_eq!(active.period, Interval(60 * TICKS_PER_SECOND));
        assert_eq!(
            active.times(),
            vec![ts("2025-01-01T00:00:00Z"), ts("2025-01-01T00:01:00Z")]
        );
        assert_eq!(active.values(), vec![1.0, 2.0]);
        let pending = s.metrics.get(Metric::PendingTasks);
        assert!(pending.is_empty());
        assert_eq!(pending.period, Interval(5 * TICKS_PER_MINUTE));
        assert_eq!(
            s.metrics.get(Metric::RunningTasks),
            &SampleHistory::default()
        );
        assert_eq!(
            s.metrics.get(Metric::FailedTasks).period,
            Interval(TICKS_PER_SECOND / 2)
        );
        assert_eq!(s.random_seed, Some(u64::MAX));
    }

    #[test]
    fn unsorted_samples_are_sorted() {
        let s = parse(
            r#"{"metrics": {"$CPUPercent": {"period": "PT1M", "samples": [
                {"time": "2025-04-24T11:36:00Z", "value": 3},
                {"value": 1, "time": "2025-04-24T11:34:00Z"},
                {"time": "2025-04-24T11:35:00.5Z", "value": -2.5}
            ]}}}"#,
        );
        let cpu = s.metrics.get(Metric::CpuPercent);
        assert_eq!(
            cpu.times(),
            vec![
                ts("2025-04-24T11:34:00Z"),
                ts("2025-04-24T11:35:00.5Z"),
                ts("2025-04-24T11:36:00Z"),
            ]
        );
        assert_eq!(cpu.values(), vec![1.0, -2.5, 3.0]);
        assert_eq!(cpu.period, Interval(60 * TICKS_PER_SECOND));
    }

    #[test]
    fn syntax_and_type_errors() {
        assert_err("", "", 1, 1, "EOF while parsing a value");
        assert_err(
            "{\n  \"pool\": {,}\n}",
            "pool",
            2,
            12,
            "key must be a string",
        );
        assert_err("{} x", "", 1, 4, "trailing characters");
        assert_err("[]", "", 1, 1, "expected a snapshot object");
        // serde's derive would take a struct as an array of its fields; this does not.
        assert_err(
            r#"["2025-01-01T00:00:00Z"]"#,
            "",
            1,
            1,
            "expected a snapshot object",
        );
        assert_err(r#"{"pool": [1]}"#, "pool", 1, 9, "expected a pool object");
        assert_err(
            "{\"pool\": {\n  \"currentDedicatedNodes\": \"2\"}}",
            "pool.currentDedicatedNodes",
            2,
            30,
            "invalid type: string \"2\", expected a finite number",
        );
        assert_err(
            r#"{"pool": {"taskSlotsPerNode": null}}"#,
            "pool.taskSlotsPerNode",
            1,
            34,
            "invalid type: null, expected a finite number",
        );
        assert_err(
            r#"{"randomSeed": -1}"#,
            "randomSeed",
            1,
            17,
            "invalid value: integer `-1`, expected an unsigned 64-bit integer",
        );
        assert_err(
            r#"{"randomSeed": 18446744073709551616}"#,
            "randomSeed",
            1,
            35,
            "expected an unsigned 64-bit integer",
        );
        assert_err(
            r#"{"pool": {"currentDedicatedNodes": 1e308, "currentLowPriorityNodes": 1e308}}"#,
            "pool",
            1,
            75,
            "expected usableNodeCount to be given",
        );
        let s = parse(
            r#"{"pool": {"currentDedicatedNodes": 1e308, "currentLowPriorityNodes": 1e308, "usableNodeCount": 5}}"#,
        );
        assert_eq!(s.pool.usable_node_count, 5.0);
        assert_err(
            r#"{"randomSeed": 7.5}"#,
            "randomSeed",
            1,
            18,
            "invalid type: floating point `7.5`, expected an unsigned 64-bit integer",
        );
        assert_err(
            r#"{"evaluationTime": null}"#,
            "evaluationTime",
            1,
            23,
            "expected an RFC 3339 time string",
        );
        assert_err(
            r#"{"metrics": []}"#,
            "metrics",
            1,
            12,
            "expected an object of metric series",
        );
        assert_err(
            r#"{"metrics": {"$CPUPercent": {"samples": [1]}}}"#,
            "metrics.$CPUPercent.samples[0]",
            1,
            42,
            "expected a sample object",
        );
    }

    #[test]
    fn unknown_keys() {
        assert_err(
            "{\n  \"evaluationtime\": 1}",
            "evaluationtime",
            2,
            18,
            "unknown field `evaluationtime`, expected one of `evaluationTime`",
        );
        assert_err(
            r#"{"pool": {"dedicated": 1}}"#,
            "pool.dedicated",
            1,
            21,
            "unknown field `dedicated`",
        );
        assert_err(
            r#"{"metrics": {"$CPUPercent": {"start": "2025-01-01T00:00:00Z", "Values": []}}}"#,
            "metrics.$CPUPercent.Values",
            1,
            70,
            "unknown field `Values`, expected one of `start`, `period`, `values`, `samples`",
        );
        assert_err(
            r#"{"metrics": {"$CPUPercent": {"samples": [{"time": "2025-01-01T00:00:00Z", "value": 1, "x": 2}]}}}"#,
            "metrics.$CPUPercent.samples[0].x",
            1,
            89,
            "unknown field `x`, expected `time` or `value`",
        );
        assert_err(
            r#"{"pool": {}, "pool": {}}"#,
            "pool",
            1,
            19,
            "duplicate field `pool`",
        );
        assert_err(
            r#"{"metrics": {"$CPUPercent": {"period": "PT1M", "period": "PT1M"}}}"#,
            "metrics.$CPUPercent.period",
            1,
            55,
            "duplicate field `period`",
        );
    }

    #[test]
    fn unknown_and_duplicate_metrics() {
        let e = parse_err(r#"{"metrics": {"$CpuPercent": {}}}"#);
        assert_eq!(e.path, "metrics.$CpuPercent");
        assert_eq!((e.line, e.column), (1, 26));
        assert!(e.message.contains("unknown metric \"$CpuPercent\""), "{e}");
        assert!(e.message.contains("case-sensitive"), "{e}");
        assert!(
            e.message.starts_with(
                "unknown metric \"$CpuPercent\" (did you mean \"$CPUPercent\"? metric names \
                 are case-sensitive); expected one of $CPUPercent, "
            ),
            "{e}"
        );
        for metric in Metric::ALL {
            assert!(e.message.contains(metric.name()), "{e}");
        }
        let e = parse_err(r#"{"metrics": {"ActiveTask": {}}}"#);
        assert!(
            e.message
                .starts_with("unknown metric \"ActiveTask\" (did you mean \"$ActiveTasks\"?);"),
            "{e}"
        );
        assert!(!e.message.contains("case-sensitive"), "{e}");
        let e = parse_err(r#"{"metrics": {"Bogus": {}}}"#);
        assert!(!e.message.contains("did you mean"), "{e}");
        assert!(
            e.message.ends_with(
                "; expected one of $CPUPercent, $WallClockSeconds, $MemoryBytes, \
                 $DiskBytes, $DiskReadBytes, $DiskWriteBytes, $DiskReadOps, $DiskWriteOps, \
                 $NetworkInBytes, $NetworkOutBytes, $SampleNodeCount, $ActiveTasks, \
                 $RunningTasks, $PendingTasks, $SucceededTasks, $FailedTasks, \
                 $PreemptedNodeCount, with or without the `$`"
            ),
            "{e}"
        );
        assert_err(
            r#"{"metrics": {"a.b": {}}}"#,
            r#"metrics["a.b"]"#,
            1,
            18,
            "unknown metric \"a.b\"",
        );
        assert_err(
            "{\"metrics\": {\n  \"ActiveTasks\": {},\n  \"$ActiveTasks\": {}}}",
            "metrics.$ActiveTasks",
            3,
            16,
            "duplicate metric $ActiveTasks: \"ActiveTasks\" and \"$ActiveTasks\" name the same metric",
        );
        assert_err(
            r#"{"metrics": {"$ActiveTasks": {}, "$ActiveTasks": {}}}"#,
            "metrics.$ActiveTasks",
            1,
            47,
            "duplicate metric \"$ActiveTasks\"",
        );
    }

    #[test]
    fn bad_numbers() {
        assert_err(
            "{\"metrics\": {\"$ActiveTasks\": {\"start\": \"2025-01-01T00:00:00Z\",\n  \"values\": [0, 1, \"x\"]}}}",
            "metrics.$ActiveTasks.values[2]",
            2,
            22,
            "invalid type: string \"x\", expected a finite number or null",
        );
        assert_err(
            r#"{"pool": {"targetDedicatedNodes": 1e999}}"#,
            "pool.targetDedicatedNodes",
            1,
            39,
            "number out of range",
        );
        assert_err(
            r#"{"metrics": {"$ActiveTasks": {"start": "2025-01-01T00:00:00Z", "values": [1, -1e400]}}}"#,
            "metrics.$ActiveTasks.values[1]",
            1,
            83,
            "number out of range",
        );
        assert_err(
            r#"{"metrics": {"$CPUPercent": {"samples": [{"time": "2025-01-01T00:00:00Z", "value": null}]}}}"#,
            "metrics.$CPUPercent.samples[0].value",
            1,
            87,
            "invalid type: null, expected a finite number",
        );
        assert_err(
            r#"{"metrics": {"$ActiveTasks": {"start": "2025-01-01T00:00:00Z", "values": [true]}}}"#,
            "metrics.$ActiveTasks.values[0]",
            1,
            78,
            "expected a finite number or null",
        );
    }

    #[test]
    fn bad_times_and_periods() {
        // The message is the time parser's own ("expected ..., found ..."); it quotes the input.
        assert_err(
            "{\n  \"evaluationTime\": \"yesterday\"}",
            "evaluationTime",
            2,
            31,
            "\"yesterday\"",
        );
        assert_err(
            r#"{"evaluationTime": "2025-04-24T11:34:37.12345678Z"}"#,
            "evaluationTime",
            1,
            50,
            "\"2025-04-24T11:34:37.12345678Z\"",
        );
        assert_err(
            r#"{"evaluationTime": "0000-12-31T23:00:00Z"}"#,
            "evaluationTime",
            1,
            41,
            "\"0000-12-31T23:00:00Z\"",
        );
        assert_err(
            r#"{"evaluationTime": "9999-12-31T23:00:00-05:00"}"#,
            "evaluationTime",
            1,
            46,
            "\"9999-12-31T23:00:00-05:00\"",
        );
        assert_err(
            r#"{"evaluationTime": 20250424}"#,
            "evaluationTime",
            1,
            27,
            "invalid type: integer `20250424`, expected an RFC 3339 time string",
        );
        assert_err(
            r#"{"metrics": {"$ActiveTasks": {"start": "2025-01-01", "values": []}}}"#,
            "metrics.$ActiveTasks.start",
            1,
            51,
            "\"2025-01-01\"",
        );
        assert_err(
            r#"{"metrics": {"$ActiveTasks": {"period": "30s"}}}"#,
            "metrics.$ActiveTasks.period",
            1,
            45,
            "\"30s\"",
        );
        assert_err(
            r#"{"metrics": {"$ActiveTasks": {"period": "PT0S"}}}"#,
            "metrics.$ActiveTasks.period",
            1,
            46,
            "expected a positive period such as \"PT30S\", found \"PT0S\"",
        );
        assert_err(
            r#"{"metrics": {"$ActiveTasks": {"period": "-PT30S"}}}"#,
            "metrics.$ActiveTasks.period",
            1,
            48,
            "expected a positive period such as \"PT30S\", found \"-PT30S\"",
        );
        assert_err(
            r#"{"metrics": {"$ActiveTasks": {"period": 30}}}"#,
            "metrics.$ActiveTasks.period",
            1,
            42,
            "expected an ISO 8601 duration string",
        );
    }

    #[test]
    fn regular_series_must_end_by_9999() {
        let s = parse(
            r#"{"metrics": {"$ActiveTasks": {"start": "9999-12-31T23:58:00Z", "values": [1, null, 3, null]}}}"#,
        );
        let active = s.metrics.get(Metric::ActiveTasks);
        assert_eq!(
            active.times(),
            vec![ts("9999-12-31T23:58:00Z"), ts("9999-12-31T23:59:00Z")]
        );
        assert_eq!(active.values(), vec![1.0, 3.0]);
        // The last slot counts even when its value is null.
        assert_err(
            "{\"metrics\": {\"$ActiveTasks\": {\"start\": \"9999-12-31T23:59:00Z\",\n  \"values\": [1, 2, null]}}}",
            "metrics.$ActiveTasks",
            2,
            25,
            "expected a series that ends by 9999-12-31T23:59:59.9999999Z, found values[2] at \
             9999-12-31T23:59:00Z + 2 * PT30S",
        );
        // start + i * period overflowing 64 bits is the same error, not a panic.
        assert_err(
            r#"{"metrics": {"$ActiveTasks": {"start": "0001-01-01T00:00:00Z", "period": "P5000000D", "values": [1, 2, 3, 4]}}}"#,
            "metrics.$ActiveTasks",
            1,
            109,
            "found values[3] at 0001-01-01T00:00:00Z + 3 * P5000000D",
        );
        assert_err(
            r#"{"metrics": {"$ActiveTasks": {"values": [1]}}}"#,
            "metrics.$ActiveTasks",
            1,
            44,
            "missing field `start`",
        );
        assert_err(
            r#"{"metrics": {"$ActiveTasks": {"start": "2025-01-01T00:00:00Z"}}}"#,
            "metrics.$ActiveTasks",
            1,
            62,
            "missing field `values`",
        );
    }

    #[test]
    fn mixed_forms_are_refused() {
        assert_err(
            r#"{"metrics": {"$ActiveTasks": {"samples": [], "start": "2025-01-01T00:00:00Z"}}}"#,
            "metrics.$ActiveTasks",
            1,
            77,
            "(`start`, `period`, `values`), found `samples` with `start`",
        );
        assert_err(
            r#"{"metrics": {"$ActiveTasks": {"values": [], "samples": []}}}"#,
            "metrics.$ActiveTasks",
            1,
            58,
            "found `samples` with `values`",
        );
    }

    #[test]
    fn duplicate_sample_times() {
        let text = r#"{"metrics": {"$CPUPercent": {"samples": [
    {"time": "2025-04-24T11:34:00Z", "value": 1},
    {"time": "2025-04-24T11:35:00Z", "value": 2},
    {"value": 3, "time": "2025-04-24T12:34:00+01:00"}
]}}}"#;
        assert_err(
            text,
            "metrics.$CPUPercent.samples[2].time",
            4,
            52,
            "expected at most one sample per time, found a second sample at \
             2025-04-24T11:34:00Z (the first is samples[0])",
        );
    }

    #[test]
    fn display() {
        let e = parse_err(
            "{\"metrics\": {\"$ActiveTasks\": {\"start\": \"2025-01-01T00:00:00Z\",\n  \"values\": [0, 1, \"x\"]}}}",
        );
        assert_eq!(
            e.to_string(),
            "test.json:2:22: at metrics.$ActiveTasks.values[2]: invalid type: string \"x\", \
             expected a finite number or null"
        );
        let e = parse_err("{} x");
        assert_eq!(
            e.to_string(),
            "test.json:1:4: at the top level: trailing characters"
        );
    }

    #[test]
    fn round_trip() {
        let mut s = parse(EXAMPLE);
        let round = |s: &Snapshot| {
            let text = serde_json::to_string_pretty(&s.to_json()).unwrap();
            Snapshot::from_json(&text, "round.json").unwrap_or_else(|e| panic!("{e}\n{text}"))
        };
        assert_eq!(round(&s), s);
        assert_eq!(round(&Snapshot::default()), Snapshot::default());
        s.evaluation_time = Timestamp::from_ticks(MAX_TIMESTAMP_TICKS);
        s.random_seed = Some(u64::MAX);
        s.pool.current_low_priority_nodes = -3.25;
        s.pool.usable_node_count = 1e300;
        s.metrics
            .set(Metric::PendingTasks, SampleHistory::new(Interval(7)));
        s.metrics.set(
            Metric::PreemptedNodeCount,
            SampleHistory::from_samples(
                Interval(TICKS_PER_DAY + 1),
                vec![
                    (Timestamp::from_ticks(0).unwrap(), 0.1),
                    (Timestamp::from_ticks(1).unwrap(), -0.0),
                    (
                        Timestamp::from_ticks(123_456_789_012_345_678).unwrap(),
                        1e-300,
                    ),
                ],
            )
            .unwrap(),
        );
        let again = round(&s);
        assert_eq!(again, s);
        let json = s.to_json();
        assert_eq!(json["metrics"]["$CPUPercent"]["period"], "PT30S");
        assert_eq!(json["metrics"]["$PendingTasks"]["period"], "PT0.0000007S");
        assert_eq!(json["evaluationTime"], "9999-12-31T23:59:59.9999999Z");
        assert!(json["metrics"].get("$RunningTasks").is_none());
    }

    #[test]
    fn huge_sample_lists_parse() {
        let values: Vec<String> = (0..100_000)
            .map(|i| {
                if i % 7 == 0 {
                    "null".to_string()
                } else {
                    format!("{}.5", i % 1000)
                }
            })
            .collect();
        let text = format!(
            r#"{{"metrics": {{"$ActiveTasks": {{"start": "2025-01-01T00:00:00Z", "values": [{}]}}}}}}"#,
            values.join(",")
        );
        let s = parse(&text);
        let active = s.metrics.get(Metric::ActiveTasks);
        assert_eq!(active.len(), 100_000 - 100_000usize.div_ceil(7));
        assert!(active.times().windows(2).all(|w| w[0] < w[1]));
        assert_eq!(
            active.times().last().map(|t| t.since(active.times()[0])),
            Some(Interval(
                99_999 * 30 * TICKS_PER_SECOND - 30 * TICKS_PER_SECOND
            ))
        );

        let samples: Vec<String> = (0..100_000)
            .rev()
            .map(|i| {
                format!(
                    r#"{{"time": "2025-01-01T00:00:{:02}.{i:07}Z", "value": {i}}}"#,
                    i % 60
                )
            })
            .collect();
        let text = format!(
            r#"{{"metrics": {{"$CPUPercent": {{"samples": [{}]}}}}}}"#,
            samples.join(",")
        );
        let s = parse(&text);
        assert_eq!(s.metrics.get(Metric::CpuPercent).len(), 100_000);
    }

    #[test]
    fn never_panics_on_mangled_input() {
        let bytes = EXAMPLE.as_bytes();
        for end in 0..bytes.len() {
            if let Ok(text) = std::str::from_utf8(&bytes[..end]) {
                let _ = Snapshot::from_json(text, "cut.json");
            }
        }
        let replacements = [
            "",
            "0",
            "-1",
            "1e999",
            "null",
            "\"\"",
            "[]",
            "{}",
            "\"PT0S\"",
            "\"$\"",
            "true",
            ",",
            "\"9999-12-31T23:59:59.9999999Z\"",
            "\"P99999999999999D\"",
        ];
        for start in 0..bytes.len() {
            for len in [1, 2, 5] {
                let end = (start + len).min(bytes.len());
                let (Ok(head), Ok(tail)) = (
                    std::str::from_utf8(&bytes[..start]),
                    std::str::from_utf8(&bytes[end..]),
                ) else {
                    continue;
                };
                for r in replacements {
                    let text = format!("{head}{r}{tail}");
                    if let Err(e) = Snapshot::from_json(&text, "m.json") {
                        assert!(e.line >= 1 && e.column >= 1);
                    }
                }
            }
        }
        let deep = "[".repeat(100_000);
        let _ = Snapshot::from_json(&format!("{{\"pool\": {deep}}}"), "deep.json");
        let _ = Snapshot::from_json(&deep, "deep.json");
    }
}

// ==== edges ============================================================================

fn snapshot(json: &str) -> Snapshot {
    Snapshot::from_json(json, "pool.json").unwrap_or_else(|e| panic!("{e}"))
}

fn refused(json: &str) -> SnapshotError {
    match Snapshot::from_json(json, "pool.json") {
        Ok(s) => panic!("expected a refusal, got {s:?}"),
        Err(e) => e,
    }
}

/// Asserts the refusal names the file, the path, the line and column, and says why.
fn assert_refused(json: &str, path: &str, line: usize, column: usize, needle: &str) {
    let e = refused(json);
    assert_eq!(
        (e.source_name.as_str(), e.path.as_str(), e.line, e.column),
        ("pool.json", path, line, column),
        "{e}"
    );
    assert!(e.message.contains(needle), "{e}");
    assert!(
        e.to_string()
            .starts_with(&format!("pool.json:{line}:{column}: at ")),
        "{e}"
    );
}

fn evaluate(formula: &str, snapshot: &Snapshot) -> Evaluation {
    CompiledFormula::new(formula)
        .unwrap_or_else(|r| panic!("{formula}: {r}"))
        .evaluate(snapshot)
}

/// The value of `name` in the results.
fn value(evaluation: &Evaluation, name: &str) -> String {
    evaluation
        .variable(name)
        .map(str::to_string)
        .unwrap_or_else(|| panic!("{name} is not in {:?}", evaluation.run))
}

/// `n` values `0, 1, ...` every 30 s from 2024-01-01, in the regular form, for `metric`.
fn regular_series(metric: &str, n: usize) -> String {
    let mut values = String::with_capacity(n * 7);
    for i in 0..n {
        if i > 0 {
            values.push(',');
        }
        values.push_str(&(i % 1000).to_string());
    }
    format!(
        r#""{metric}": {{"start": "2024-01-01T00:00:00Z", "period": "PT30S", "values": [{values}]}}"#
    )
}

// ---------------------------------------------------------------------------------------
// A million samples per metric.

#[test]
fn a_million_samples_in_every_metric_are_read_and_windowed() {
    const N: usize = 1_000_000;
    // The last sample is at 2024-01-01 + 999,999 * 30 s = 2024-12-13T05:19:30Z.
    let metrics: Vec<String> = Metric::ALL
        .iter()
        .map(|m| regular_series(m.name(), N))
        .collect();
    let json = format!(
        r#"{{"evaluationTime": "2024-12-13T05:19:30Z", "metrics": {{{}}}}}"#,
        metrics.join(",\n")
    );
    let s = snapshot(&json);
    for metric in Metric::ALL {
        assert_eq!(s.metrics.get(metric).len(), N, "{}", metric.name());
    }
    let e = evaluate(
        "n = $PendingTasks.Count();\n\
         last = $CPUPercent.GetSample(1);\n\
         all = len($ActiveTasks.GetSample(2000000));\n\
         day = len($RunningTasks.GetSample(TimeInterval_Day));\n\
         pct = $FailedTasks.GetSamplePercent(TimeInterval_Year);\n\
         whole = avg($SucceededTasks.GetSample(TimeInterval_Day * 400, 0));\n\
         p = percentile($PreemptedNodeCount.GetSample(1000000), 50);\n\
         begin = $DiskBytes.HistoryBeginTime();",
        &s,
    );
    assert!(e.run.error.is_none(), "{:?}", e.run);
    assert_eq!(value(&e, "n"), "1E+06");
    assert_eq!(value(&e, "last"), "[999]");
    assert_eq!(value(&e, "all"), "1E+06");
    // (now - 1 day, now]: 2880 samples.
    assert_eq!(value(&e, "day"), "2880");
    // A year expects 1,051,200 samples; a million are there.
    assert_eq!(value(&e, "pct"), "95.1294");
    assert_eq!(value(&e, "whole"), "499.5");
    assert_eq!(value(&e, "p"), "499");
    assert_eq!(value(&e, "begin"), "2024-01-01T00:00:00.000Z");
}

#[test]
fn a_million_explicit_samples_in_any_order_are_sorted() {
    const N: usize = 1_000_000;
    // Newest first: the explicit form takes any order.
    let mut samples = String::with_capacity(N * 48);
    for i in (0..N).rev() {
        if i != N - 1 {
            samples.push(',');
        }
        let seconds = i as u64 * 30;
        let (day, rest) = (seconds / 86_400, seconds % 86_400);
        // Days from 2000-01-01 through a simple proleptic count of 30-day steps is not a
        // calendar; use ticks via a fixed origin and RFC 3339 with an offset-free time.
        let t = chrono_like(day, rest);
        samples.push_str(&format!(r#"{{"time":"{t}","value":{}}}"#, i % 7));
    }
    let json = format!(
        r#"{{"evaluationTime": "2100-01-01T00:00:00Z", "metrics": {{"$CPUPercent": {{"samples": [{samples}]}}}}}}"#
    );
    let s = snapshot(&json);
    let history = s.metrics.get(Metric::CpuPercent);
    assert_eq!(history.len(), N);
    assert!(history.times().windows(2).all(|w| w[0] < w[1]));
    let e = evaluate("v = $CPUPercent.GetSample(3);", &s);
    // Oldest first [decided]: samples N-3, N-2, N-1.
    let expect: Vec<String> = (N - 3..N).map(|i| (i % 7).to_string()).collect();
    assert_eq!(value(&e, "v"), format!("[{}]", expect.join(",")));
}

/// `2000-01-01` plus `day` days and `rest` seconds, as RFC 3339.
fn chrono_like(day: u64, rest: u64) -> String {
    let date = chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap() + chrono::Days::new(day);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        date.format("%Y-%m-%d"),
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

// ---------------------------------------------------------------------------------------
// Gaps and order.

#[test]
fn gaps_lower_the_sample_percentage_as_documented() {
    // 20 slots over the last 10 minutes, every other one missing: 10 samples.
    let values: Vec<&str> = (0..20)
        .map(|i| if i % 2 == 0 { "null" } else { "5" })
        .collect();
    let s = snapshot(&format!(
        r#"{{"evaluationTime": "2024-01-01T00:10:00Z",
            "metrics": {{"$CPUPercent": {{"start": "2024-01-01T00:00:30Z", "values": [{}]}}}}}}"#,
        values.join(",")
    ));
    assert_eq!(s.metrics.get(Metric::CpuPercent).len(), 10);
    let e = evaluate(
        "p = $CPUPercent.GetSamplePercent(TimeInterval_Minute * 10);\n\
         some = $CPUPercent.GetSample(TimeInterval_Minute * 10, 50);\n\
         recent = $CPUPercent.GetSample(4);\n\
         fail = $CPUPercent.GetSample(TimeInterval_Minute * 10);",
        &s,
    );
    assert_eq!(value(&e, "p"), "50");
    assert_eq!(value(&e, "some"), "[5,5,5,5,5,5,5,5,5,5]");
    // GetSample(n) never fails for lack of data [seen].
    assert_eq!(value(&e, "recent"), "[5,5,5,5]");
    let error = e.run.error.expect("70% wanted, 50% there");
    assert_eq!(error.code, "InsufficientSampleData");
    assert_eq!(
        error.values[0].value,
        "Line 4, Col 29: Insufficient data from data set: $CPUPercent wanted 70%, received 50%"
    );
}

#[test]
fn a_gap_of_years_and_samples_after_now() {
    let s = snapshot(
        r#"{"evaluationTime": "2024-06-01T00:00:00Z", "metrics": {"$PendingTasks": {"samples": [
            {"time": "2030-01-01T00:00:00Z", "value": 99},
            {"time": "2024-05-31T23:59:30Z", "value": 3},
            {"time": "2001-01-01T00:00:00Z", "value": 1}]}}}"#,
    );
    let e = evaluate(
        "n = $PendingTasks.Count(); v = $PendingTasks.GetSample(10);\n\
         begin = $PendingTasks.HistoryBeginTime();\n\
         p = $PendingTasks.GetSamplePercent(TimeInterval_Year * 30);",
        &s,
    );
    assert!(e.run.error.is_none(), "{:?}", e.run);
    // The 2030 sample is not available at now.
    assert_eq!(value(&e, "n"), "2");
    assert_eq!(value(&e, "v"), "[1,3]");
    assert_eq!(value(&e, "begin"), "2001-01-01T00:00:00.000Z");
    // 2 samples where 30 years expect 31,536,000.
    assert_eq!(value(&e, "p"), "6.34196E-06");
}

#[test]
fn duplicate_sample_times_are_refused_at_the_second_one() {
    assert_refused(
        r#"{"metrics": {"$CPUPercent": {"samples": [
  {"time": "2024-01-01T00:00:00Z", "value": 1},
  {"time": "2024-01-01T00:00:30Z", "value": 2},
  {"time": "2024-01-01T01:00:00+01:00", "value": 3}]}}}"#,
        "metrics.$CPUPercent.samples[2].time",
        4,
        38,
        "found a second sample at 2024-01-01T00:00:00Z (the first is samples[0])",
    );
    // Times that differ only in the 8th fractional digit would be the same tick: refused
    // for the digit, before any duplicate.
    assert_refused(
        r#"{"metrics": {"$CPUPercent": {"samples": [{"time": "2024-01-01T00:00:00.00000001Z", "value": 1}]}}}"#,
        "metrics.$CPUPercent.samples[0].time",
        1,
        81,
        "2024-01-01T00:00:00.00000001Z",
    );
}

// ---------------------------------------------------------------------------------------
// Periods.

#[test]
fn zero_and_negative_periods_are_refused_at_the_period() {
    for (period, column) in [("PT0S", 46), ("-PT30S", 48), ("P0D", 45), ("-P1D", 46)] {
        assert_refused(
            &format!(r#"{{"metrics": {{"$ActiveTasks": {{"period": "{period}"}}}}}}"#),
            "metrics.$ActiveTasks.period",
            1,
            column,
            "expected a positive period",
        );
    }
    // Finer than a tick is not a period at all.
    assert_refused(
        r#"{"metrics": {"$ActiveTasks": {"period": "PT0.00000001S"}}}"#,
        "metrics.$ActiveTasks.period",
        1,
        55,
        "PT0.00000001S",
    );
}

#[test]
fn the_smallest_and_largest_periods_work() {
    let s = snapshot(
        r#"{"evaluationTime": "2024-01-01T00:00:00Z", "metrics": {
            "$ActiveTasks": {"start": "2024-01-01T00:00:00Z", "period": "PT0.0000001S", "values": [1]},
            "$RunningTasks": {"start": "2024-01-01T00:00:00Z", "period": "P3650000D", "values": [2]}}}"#,
    );
    let e = evaluate(
        "a = $ActiveTasks.GetSamplePeriod(); r = $RunningTasks.GetSamplePeriod();\n\
         pa = $ActiveTasks.GetSamplePercent(TimeInterval_Second);\n\
         pr = $RunningTasks.GetSamplePercent(TimeInterval_Second);",
        &s,
    );
    assert!(e.run.error.is_none(), "{:?}", e.run);
    assert_eq!(value(&e, "a"), "0.0000001s");
    assert_eq!(value(&e, "r"), "3650000d");
    // One sample where a second expects 10,000,000 of them.
    assert_eq!(value(&e, "pa"), "1E-05");
    assert_eq!(value(&e, "pr"), "100");
}

// ---------------------------------------------------------------------------------------
// Far past and far future.

#[test]
fn the_first_and_last_instants_work_as_evaluation_times() {
    for (at, year) in [
        ("0001-01-01T00:00:00Z", "1"),
        ("9999-12-31T23:59:59.9999999Z", "9999"),
    ] {
        let s = snapshot(&format!(
            r#"{{"evaluationTime": "{at}", "metrics": {{"$CPUPercent": {{"samples": [{{"time": "{at}", "value": 7}}]}}}}}}"#
        ));
        let e = evaluate(
            "y = time().year; v = $CPUPercent.GetSample(1); n = $CPUPercent.Count();",
            &s,
        );
        assert!(e.run.error.is_none(), "{at}: {:?}", e.run);
        assert_eq!(value(&e, "y"), year);
        assert_eq!(value(&e, "v"), "[7]");
    }
    // A look-back past the year 1 is an evaluation error at the `(` of the method's
    // arguments (section 9.1), not a panic.
    let s = snapshot(r#"{"evaluationTime": "0001-01-01T00:00:30Z"}"#);
    let e = evaluate("v = $CPUPercent.GetSample(TimeInterval_Minute, 0);", &s);
    let error = e.run.error.expect("look-back past year 1");
    assert_eq!(error.code, "AutoScalingFormulaEvaluationError");
    assert!(
        error.values[0].value.starts_with("Line 1, Col 26: ")
            && error.values[0]
                .value
                .contains("outside the years 1 to 9999"),
        "{error:?}"
    );
}

#[test]
fn times_outside_the_years_1_to_9999_are_refused_at_the_value() {
    assert_refused(
        r#"{"evaluationTime": "10000-01-01T00:00:00Z"}"#,
        "evaluationTime",
        1,
        42,
        "10000-01-01T00:00:00Z",
    );
    assert_refused(
        r#"{"evaluationTime": "0001-01-01T00:30:00+01:00"}"#,
        "evaluationTime",
        1,
        46,
        "0001-01-01T00:30:00+01:00",
    );
    assert_refused(
        "{\"metrics\": {\"$CPUPercent\": {\"samples\": [\n  {\"value\": 1, \"time\": \"9999-12-31T23:59:59-00:01\"}]}}}",
        "metrics.$CPUPercent.samples[0].time",
        2,
        50,
        "9999-12-31T23:59:59-00:01",
    );
    // A regular series whose slots run past 9999 is refused at its closing brace.
    assert_refused(
        r#"{"metrics": {"$CPUPercent": {"start": "9999-12-31T23:59:00Z", "period": "PT1M", "values": [1, 2]}}}"#,
        "metrics.$CPUPercent",
        1,
        97,
        "expected a series that ends by 9999-12-31T23:59:59.9999999Z",
    );
}

// ---------------------------------------------------------------------------------------
// Negative node counts and other pool values.

#[test]
fn negative_node_counts_are_kept_as_given() {
    let s = snapshot(
        r#"{"evaluationTime": "2024-01-01T00:00:00Z", "pool": {
            "targetDedicatedNodes": -3.5, "targetLowPriorityNodes": -0.5,
            "currentDedicatedNodes": -2, "currentLowPriorityNodes": -1,
            "taskSlotsPerNode": -4}}"#,
    );
    assert_eq!(s.pool.usable_node_count, -3.0);
    let e = evaluate(
        "c = $CurrentDedicatedNodes; l = $CurrentLowPriorityNodes; u = $UsableNodeCount;\n\
         t = $TaskSlotsPerNode; d = $TargetDedicatedNodes;",
        &s,
    );
    assert!(e.run.error.is_none(), "{:?}", e.run);
    assert_eq!(
        e.run.results,
        "$TargetDedicatedNodes=-3;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue;\
         c=-2;d=-3.5;l=-1;t=-4;u=-3"
    );
    // A negative target the formula assigns is reported truncated, with a warning.
    let e = evaluate("$TargetDedicatedNodes = $CurrentDedicatedNodes * 1.5;", &s);
    assert!(e.run.error.is_none());
    assert!(
        e.run.results.starts_with("$TargetDedicatedNodes=-3;"),
        "{}",
        e.run.results
    );
    assert!(
        e.warnings.iter().any(|w| w.message.contains("negative")),
        "{:?}",
        e.warnings
    );
}

#[test]
fn non_finite_or_unrepresentable_pool_values_are_refused_at_the_value() {
    assert_refused(
        r#"{"pool": {"currentDedicatedNodes": -1e999}}"#,
        "pool.currentDedicatedNodes",
        1,
        41,
        "number out of range",
    );
    // The default usableNodeCount would overflow: it must be given.
    assert_refused(
        r#"{"pool": {"currentDedicatedNodes": 1.7e308, "currentLowPriorityNodes": 1.7e308}}"#,
        "pool",
        1,
        79, // the pool's closing brace
        "expected usableNodeCount to be given",
    );
    assert_refused(r#"{"randomSeed": -1}"#, "randomSeed", 1, 17, "-1");
    assert_refused(
        r#"{"randomSeed": 18446744073709551616}"#,
        "randomSeed",
        1,
        35,
        "",
    );
    assert_eq!(
        snapshot(r#"{"randomSeed": 18446744073709551615}"#).random_seed,
        Some(u64::MAX)
    );
}

/// interfaces.md section 1: a regular series with no values needs no `start`; it is an
/// empty history (with its period, when one is given). One value still needs its time.
#[test]
fn an_empty_regular_series_needs_no_start() {
    let s = snapshot(
        r#"{"metrics": {"$ActiveTasks": {"values": []}, "$CPUPercent": {"period": "PT1M", "values": []}}}"#,
    );
    let active = s.metrics.get(batchscale::Metric::ActiveTasks);
    assert!(active.times().is_empty());
    assert_eq!(active.period, batchscale::DEFAULT_PERIOD);
    let cpu = s.metrics.get(batchscale::Metric::CpuPercent);
    assert!(cpu.times().is_empty());
    assert_eq!(cpu.period.ticks(), 60 * 10_000_000);
    let e = refused(r#"{"metrics": {"$ActiveTasks": {"values": [1]}}}"#);
    assert!(e.to_string().contains("missing field `start`"), "{e}");
}
