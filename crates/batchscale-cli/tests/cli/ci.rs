//! `check` in CI (issue 12, point 1): `--allow`/`--deny` with codes and groups,
//! `batchscale.toml` found upward, inline `// batchscale: allow(...)` comments, the
//! look-alike of a target failing by default, folders walked, every file reported, the
//! JSON, SARIF and GitHub formats, `explain`, colours and `-q`.

use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::common::{Out, Scratch, assert_usage_error, batchscale, run};

/// A formula valid to the service with one warning: `limit` is never read (BS0608).
const UNUSED: &str = "limit = 20;\n$TargetDedicatedNodes = 5;\n";

/// The codes of `check --format json`'s list, in order.
fn codes(out: &Out) -> Vec<String> {
    out.json()
        .as_array()
        .expect("a JSON list")
        .iter()
        .map(|d| d["code"].as_str().unwrap_or("-").to_string())
        .collect()
}

fn check_json(args: &[&str]) -> Out {
    let mut all = vec!["check", "--format", "json", "--no-config"];
    all.extend(args);
    batchscale(&all)
}

// ---- --allow and --deny --------------------------------------------------------------

#[test]
fn deny_warnings_fails_on_every_warning_still_reported() {
    let dir = Scratch::new();
    let f = dir.file("unused.formula", UNUSED);
    let out = check_json(&[&f]);
    assert_eq!(
        (out.code, codes(&out)),
        (Some(0), vec!["BS0608".to_string()])
    );
    assert_eq!(out.json()[0]["severity"], "warning");
    let out = check_json(&[&f, "--deny", "warnings"]);
    assert_eq!(out.code, Some(1), "{out:#?}");
    assert_eq!(out.json()[0]["severity"], "error");
    // Allowed warnings are not reported, so they do not fail.
    let out = check_json(&[&f, "--deny", "warnings", "--allow", "BS0608"]);
    assert_eq!((out.code, codes(&out)), (Some(0), vec![]));
}

#[test]
fn deny_and_allow_take_codes_groups_any_case_repeated_or_comma_separated() {
    let dir = Scratch::new();
    let f = dir.file("unused.formula", UNUSED);
    for args in [
        &["--deny", "BS0608"][..],
        &["--deny", "bs0608"],
        &["--deny", "lint"],
        &["--deny", "BS0601,BS0608"],
        &["--deny", "BS0601", "--deny", "BS0608"],
    ] {
        let mut all = vec![f.as_str()];
        all.extend(args);
        assert_eq!(check_json(&all).code, Some(1), "{args:?}");
    }
    // A code overrides its group, whichever comes first.
    let out = check_json(&[&f, "--allow", "BS0608", "--deny", "lint"]);
    assert_eq!((out.code, codes(&out)), (Some(0), vec![]));
    let out = check_json(&[&f, "--allow", "lint"]);
    assert_eq!((out.code, codes(&out)), (Some(0), vec![]));
    let out = check_json(&[&f, "--allow", "decided"]);
    assert_eq!(codes(&out), ["BS0608"]);
}

#[test]
fn bad_allow_and_deny_values_are_usage_errors() {
    let dir = Scratch::new();
    let f = dir.file("ok.formula", UNUSED);
    for (args, needle) in [
        (&["--deny", "BS9999"][..], "unknown code or group 'BS9999'"),
        (
            &["--allow", "lints"],
            "expected a code such as BS0601, a group (limits",
        ),
        (
            &["--allow", "BS0201"],
            "BS0201 is an error and cannot be allowed",
        ),
        (&["--allow", "syntax"], "holds errors"),
        (&["--allow", "warnings"], "can only be denied"),
        (
            &["--allow", "BS0608", "--deny", "BS0608"],
            "both allowed and denied",
        ),
    ] {
        let mut all = vec!["check", f.as_str()];
        all.extend(args);
        assert_usage_error(&batchscale(&all), needle);
    }
}

/// The most damaging typo there is: `$TargetDedicatedNode = 1` creates a variable and the
/// pool keeps its size. `check` fails on it unless it is allowed.
#[test]
fn a_lookalike_target_fails_check_by_default_decided() {
    let dir = Scratch::new();
    let f = dir.file("typo.formula", "$TargetDedicatedNode = 1;\n");
    let out = check_json(&[&f]);
    assert_eq!(out.code, Some(1), "{out:#?}");
    assert_eq!(out.json()[0]["code"], "BS0509");
    assert_eq!(out.json()[0]["severity"], "error");
    let text = batchscale(&["check", &f, "--no-config"]);
    assert!(text.stderr.contains("error[BS0509]"), "{}", text.stderr);
    assert!(
        text.stderr.contains("denied by default") && text.stderr.contains("--allow BS0509"),
        "{}",
        text.stderr
    );
    assert!(
        text.stdout
            .contains("typo.formula: failed (1 error, 0 warnings)")
    );
    // The service accepts it: eval runs it (and it sets nothing).
    let out = batchscale(&["eval", &f, "--format", "json"]);
    assert_eq!(out.code, Some(0), "{out:#?}");
    let out = check_json(&[&f, "--allow", "BS0509"]);
    assert_eq!((out.code, codes(&out)), (Some(0), vec![]));
}

// ---- inline comments -----------------------------------------------------------------

#[test]
fn an_inline_allow_covers_its_own_line_or_the_next_line_of_code_decided() {
    let dir = Scratch::new();
    let end = dir.file(
        "end.formula",
        "limit = 20; // batchscale: allow(BS0608) kept for next month\n$TargetDedicatedNodes = 5;\n",
    );
    let before = dir.file(
        "before.formula",
        "// batchscale: allow(lint)\n\n// the cap\nlimit = 20;\n$TargetDedicatedNodes = 5;\n",
    );
    let elsewhere = dir.file(
        "elsewhere.formula",
        "// batchscale: allow(BS0608)\n$TargetDedicatedNodes = 5;\nlimit = 20;\n",
    );
    for f in [&end, &before] {
        let out = check_json(&[f, "--deny", "warnings"]);
        assert_eq!((out.code, codes(&out)), (Some(0), vec![]), "{f}");
    }
    let out = check_json(&[&elsewhere]);
    assert_eq!(codes(&out), ["BS0608"]);
    // Inline comments win over --deny of the same code.
    let out = check_json(&[&end, "--deny", "BS0608"]);
    assert_eq!(out.code, Some(0), "{out:#?}");
    // To the service it is a plain comment.
    let out = batchscale(&["eval", &end, "--format", "json"]);
    assert_eq!(out.code, Some(0), "{out:#?}");
}

#[test]
fn a_malformed_inline_directive_is_refused_with_its_place() {
    let dir = Scratch::new();
    let f = dir.file(
        "bad.formula",
        "x = 1;\n$TargetDedicatedNodes = x; // batchscale: allow(BS0201)\n",
    );
    let out = batchscale(&["check", &f, "--no-config"]);
    assert_eq!(out.code, Some(2), "{out:#?}");
    assert!(
        out.stderr.contains(&format!(
            "{f}:2:43: BS0201 is an error and cannot be allowed"
        )),
        "{}",
        out.stderr
    );
    let f = dir.file("typo.formula", "x = 1; // batchscale: alow(BS0608)\n");
    let out = check_json(&[&f]);
    assert_eq!(out.code, Some(2), "{out:#?}");
    let entry = &out.json()[0];
    assert_eq!(
        (entry["line"].as_u64(), entry["column"].as_u64()),
        (Some(1), Some(23))
    );
    assert!(
        entry["message"]
            .as_str()
            .unwrap()
            .contains("expected 'batchscale: allow(CODE, ...)'"),
        "{entry}"
    );
}

// ---- batchscale.toml -----------------------------------------------------------------

#[test]
fn batchscale_toml_is_found_in_the_formulas_folder_or_a_parent() {
    let dir = Scratch::new();
    std::fs::create_dir_all(dir.0.join("pools/east")).unwrap();
    dir.file("batchscale.toml", "deny = [\"warnings\"]\n");
    let f = dir.file("pools/east/unused.formula", UNUSED);
    let out = batchscale(&["check", &f, "--format", "json"]);
    assert_eq!(out.code, Some(1), "{out:#?}");
    // The nearest wins.
    dir.file("pools/batchscale.toml", "allow = [\"BS0608\"]\n");
    let out = batchscale(&["check", &f, "--format", "json"]);
    assert_eq!((out.code, codes(&out)), (Some(0), vec![]));
    // --no-config ignores them; --config names one.
    let out = batchscale(&["check", &f, "--format", "json", "--no-config"]);
    assert_eq!(codes(&out), ["BS0608"]);
    let top = dir.path("batchscale.toml");
    let out = batchscale(&["check", &f, "--format", "json", "--config", &top]);
    assert_eq!(out.code, Some(1), "{out:#?}");
    // Standard input takes the current folder's.
    let output = Command::new(env!("CARGO_BIN_EXE_batchscale"))
        .args(["check", "-", "--format", "json"])
        .current_dir(&dir.0)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(UNUSED.as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
}

/// Settings apply in layers: batchscale.toml, then the command line, then inline comments;
/// in each layer a code overrides its group; `deny warnings` takes what is still reported.
#[test]
fn the_command_line_overrides_batchscale_toml_decided() {
    let dir = Scratch::new();
    dir.file("batchscale.toml", "interval = \"1m\"\ndeny = [\"lint\"]\n");
    let f = dir.file("unused.formula", UNUSED);
    let out = batchscale(&["check", &f, "--format", "json"]);
    assert_eq!(codes(&out), ["BS0003", "BS0608"]);
    assert_eq!(out.code, Some(1));
    let out = batchscale(&[
        "check",
        &f,
        "--format",
        "json",
        "--interval",
        "15m",
        "--allow",
        "BS0608",
    ]);
    assert_eq!((out.code, codes(&out)), (Some(0), vec![]));
    let out = batchscale(&["check", &f, "--format", "json", "--interval", "PT15M"]);
    assert_eq!(codes(&out), ["BS0608"]);
    assert_eq!(out.json()[0]["severity"], "error");
}

#[test]
fn a_malformed_batchscale_toml_is_refused_with_its_path_line_and_what_was_expected() {
    let dir = Scratch::new();
    let f = dir.file("unused.formula", UNUSED);
    let config = dir.path("batchscale.toml");
    for (toml, place, needle) in [
        ("deny = [\"warnings\"\n", ":1:19:", "expected `]`"),
        (
            "intervall = \"15m\"\n",
            ":1:1:",
            "unknown field `intervall`",
        ),
        ("allow = \"BS0608\"\n", ":1:9:", "expected a sequence"),
        (
            "\ndeny = [\"BS0608\", \"lnt\"]\n",
            ":2:19:",
            "deny: unknown code or group 'lnt'",
        ),
        (
            "interval = \"soon\"\n",
            ":1:12:",
            "expected a duration such as \"PT15M\"",
        ),
        (
            "allow = [\"BS0608\"]\ndeny = [\"BS0608\"]\n",
            ":1:10:",
            "both allowed and denied",
        ),
        ("allow = [\"names\"]\n", ":1:10:", "holds errors"),
    ] {
        dir.file("batchscale.toml", toml);
        let out = batchscale(&["check", &f]);
        assert_eq!(out.code, Some(2), "{toml:?}: {out:#?}");
        assert!(
            out.stderr.contains(&format!("{config}{place}")) && out.stderr.contains(needle),
            "{toml:?}: {}",
            out.stderr
        );
        assert!(out.stderr.contains("not checked"), "{}", out.stderr);
        let out = batchscale(&["check", &f, "--format", "json"]);
        assert_eq!(out.code, Some(2), "{toml:?}");
        let list = out.json();
        assert_eq!(list[0]["file"], config.as_str());
        assert_eq!(list[1]["file"], f.as_str());
    }
    // --config with a bad file cannot run at all.
    dir.file("batchscale.toml", "deny = 1\n");
    assert_usage_error(
        &batchscale(&["check", &f, "--config", &config]),
        &format!("{config}:1:8:"),
    );
}

// ---- files and folders ---------------------------------------------------------------

#[test]
fn every_file_is_reported_even_when_one_cannot_be_read() {
    let dir = Scratch::new();
    let good = dir.file("good.formula", "$TargetDedicatedNodes = 1;\n");
    let missing = dir.path("missing.formula");
    let bad = dir.file("bad.formula", "$TargetDedicatedNodes = nope;\n");
    let out = batchscale(&["check", &good, &missing, &bad, "--no-config"]);
    assert_eq!(out.code, Some(2), "{out:#?}");
    assert!(out.stdout.contains("good.formula: valid"), "{out:#?}");
    assert!(out.stdout.contains("bad.formula: invalid"), "{out:#?}");
    assert!(
        out.stderr
            .contains(&format!("cannot read '{missing}': no such file")),
        "{out:#?}"
    );
    let out = check_json(&[&good, &missing, &bad]);
    assert_eq!(out.code, Some(2));
    let list = out.json();
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
    assert_eq!(
        list[0],
        json!({"code": null, "column": null, "endColumn": null, "endLine": null,
               "file": missing, "help": null, "line": null,
               "message": format!("cannot read '{missing}': no such file"),
               "severity": "error"})
    );
    assert_eq!(list[1]["code"], "BS0201");
    // Only unreadable files: still one JSON list.
    let out = check_json(&[&missing]);
    assert_eq!(
        (out.code, out.json().as_array().unwrap().len()),
        (Some(2), 1)
    );
}

#[test]
fn a_folder_is_walked_for_formula_files() {
    let dir = Scratch::new();
    std::fs::create_dir_all(dir.0.join("pools/west")).unwrap();
    std::fs::create_dir_all(dir.0.join(".git")).unwrap();
    dir.file("b.formula", "$TargetDedicatedNodes = 1;\n");
    dir.file("pools/west/a.formula", "$TargetDedicatedNodes = nope;\n");
    dir.file("pools/notes.txt", "not a formula");
    dir.file(".git/c.formula", "not = checked +;");
    let root = crate::common::arg(&dir.0);
    let out = batchscale(&["check", &root, "--no-config"]);
    assert_eq!(out.code, Some(1), "{out:#?}");
    let verdicts: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(verdicts.len(), 2, "{out:#?}");
    assert!(verdicts[0].ends_with("b.formula: valid (0 errors, 0 warnings)"));
    assert!(verdicts[1].ends_with("pools/west/a.formula: invalid (1 error, 0 warnings)"));
    // A folder without formulas is said so.
    let empty = Scratch::new();
    let out = batchscale(&["check", &crate::common::arg(&empty.0), "--no-config"]);
    assert_eq!(out.code, Some(0));
    assert!(out.stderr.contains("no *.formula file"), "{out:#?}");
}

// ---- SARIF and GitHub ----------------------------------------------------------------

/// The OASIS SARIF 2.1.0 JSON schema (`tests/sarif-schema-2.1.0.json`, vendored as the
/// serde-sarif 0.8.0 crate ships it), compiled by the jsonschema crate.
fn sarif_schema() -> jsonschema::Validator {
    let text = include_str!("../sarif-schema-2.1.0.json");
    let mut schema: Value = serde_json::from_str(text).expect("the vendored schema is JSON");
    // The published schema's pattern for a language has a stray `]` that the regex engine
    // refuses; the corrected pattern (as in the schema's later revisions) is used.
    for holder in ["run", "toolComponent"] {
        let language = &mut schema["definitions"][holder]["properties"]["language"]["pattern"];
        assert_eq!(language, "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$");
        *language = json!("^[a-zA-Z]{2}(-[a-zA-Z]{2})?$");
    }
    jsonschema::options()
        .should_validate_formats(false)
        .build(&schema)
        .expect("the SARIF 2.1.0 schema compiles")
}

fn assert_valid_sarif(validator: &jsonschema::Validator, log: &Value) {
    let errors: Vec<String> = validator
        .iter_errors(log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "invalid SARIF: {errors:#?}\n{log:#}");
}

#[test]
fn sarif_output_validates_against_the_sarif_2_1_0_schema() {
    let validator = sarif_schema();
    // The validator does refuse a log that breaks the schema.
    assert!(!validator.is_valid(&json!({"version": "2.1.0", "runs": [{"tool": {}}]})));
    let dir = Scratch::new();
    let broken = dir.file(
        "my pool.formula",
        "# cpu\n$TargetDedicatedNode = $CPUPercent.GetSample(1);\n",
    );
    let unused = dir.file("unused.formula", UNUSED);
    let missing = dir.path("missing.formula");
    let out = batchscale(&[
        "check",
        &broken,
        &unused,
        "--format",
        "sarif",
        "--no-config",
    ]);
    assert_eq!(out.code, Some(1), "{out:#?}");
    let log = out.json();
    assert_valid_sarif(&validator, &log);
    let run = &log["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "batchscale");
    let results = run["results"].as_array().unwrap();
    let ids: Vec<&str> = results
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["BS0102", "BS0509", "BS0608"], "{log:#}");
    let location = &results[0]["locations"][0]["physicalLocation"];
    assert!(
        location["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .ends_with("my%20pool.formula"),
        "{location}"
    );
    assert_eq!(location["region"]["startLine"], 1);
    assert_eq!(results[1]["level"], "error");
    assert_eq!(results[2]["level"], "warning");
    // Each rule carries its documentation, as `explain` prints it.
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let bs0608 = rules.iter().find(|r| r["id"] == "BS0608").unwrap();
    let explained = batchscale(&["explain", "BS0608"]).stdout;
    assert_eq!(
        bs0608["help"]["text"].as_str().unwrap(),
        explained.trim_end()
    );
    // Denied warnings are errors; unreadable files are notifications, and fail the run.
    let out = batchscale(&[
        "check",
        &unused,
        &missing,
        "--format",
        "sarif",
        "--deny",
        "warnings",
        "--no-config",
    ]);
    assert_eq!(out.code, Some(2), "{out:#?}");
    let log = out.json();
    assert_valid_sarif(&validator, &log);
    assert_eq!(log["runs"][0]["results"][0]["level"], "error");
    let invocation = &log["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    assert!(
        out.stderr.contains("cannot read"),
        "the CI log says it too: {out:#?}"
    );
    assert!(
        invocation["toolExecutionNotifications"][0]["message"]["text"]
            .as_str()
            .unwrap()
            .contains("no such file")
    );
}

#[test]
fn github_format_prints_one_workflow_annotation_per_diagnostic() {
    let dir = Scratch::new();
    let f = dir.file(
        "p,1.formula",
        "limit = 20;\n$TargetDedicatedNodes = nope;\n",
    );
    let missing = dir.path("missing.formula");
    let out = batchscale(&["check", &f, &missing, "--format", "github", "--no-config"]);
    assert_eq!(out.code, Some(2), "{out:#?}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    let file = f.replace(',', "%2C");
    assert_eq!(lines.len(), 2, "{out:#?}");
    assert!(
        lines[0].starts_with(&format!(
            "::error title=BS0201,file={file},line=2,col=25,endLine=2,endColumn=29::undefined symbol 'nope'"
        )),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with(&format!(
            "::error title=batchscale,file={missing}::cannot read"
        )),
        "{}",
        lines[1]
    );
    // Warnings are warnings (the lint waits for the error to be fixed: a new file).
    let g = dir.file("unused.formula", UNUSED);
    let out = batchscale(&["check", &g, "--format", "github", "--no-config"]);
    assert!(
        out.stdout.starts_with("::warning title=BS0608,"),
        "{out:#?}"
    );
    assert!(!out.stdout.contains('\n') || out.stdout.lines().count() == 1);
}

// ---- explain -------------------------------------------------------------------------

/// The section of docs/diagnostics.md for a code, read here independently of the library.
fn doc_section(code: &str) -> String {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/diagnostics.md"
    ))
    .unwrap();
    let mut lines = doc
        .lines()
        .skip_while(|l| !l.starts_with(&format!("### {code}: ")));
    let mut section = vec![lines.next().expect("a section").to_string()];
    section.extend(
        lines
            .take_while(|l| !l.starts_with("## ") && !l.starts_with("### "))
            .map(str::to_string),
    );
    format!("{}\n", section.join("\n").trim_end())
}

#[test]
fn explain_prints_the_codes_section_of_docs_diagnostics_md() {
    for code in batchscale::Code::ALL {
        let out = batchscale(&["explain", code.as_str()]);
        assert_eq!(out.code, Some(0), "{code}: {out:#?}");
        assert_eq!(out.stdout, doc_section(code.as_str()), "{code}");
    }
    assert_eq!(
        batchscale(&["explain", "bs0601"]).stdout,
        doc_section("BS0601")
    );
    let out = batchscale(&["explain", "lint"]);
    assert_eq!(out.code, Some(0));
    assert!(
        out.stdout.starts_with("lint (BS06xx):\n  BS0601  "),
        "{out:#?}"
    );
    assert_eq!(
        out.stdout.lines().count(),
        1 + batchscale::Group::Lint.codes().count()
    );
    assert_usage_error(
        &batchscale(&["explain", "BS9999"]),
        "unknown code or group 'BS9999'",
    );
    assert_usage_error(&batchscale(&["explain"]), "CODE");
}

// ---- colour and -q -------------------------------------------------------------------

/// `check` of a broken formula on a pipe, with the environment and flags given.
fn stderr_with(env: &[(&str, &str)], flags: &[&str]) -> String {
    let dir = Scratch::new();
    let f = dir.file("bad.formula", "x = nope;\n");
    let mut command = Command::new(env!("CARGO_BIN_EXE_batchscale"));
    command
        .args(["check", &f, "--no-config"])
        .args(flags)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("CLICOLOR");
    for (key, value) in env {
        command.env(key, value);
    }
    String::from_utf8(command.output().unwrap().stderr).unwrap()
}

#[test]
fn colour_follows_color_no_color_when_not_empty_and_clicolor_force() {
    let coloured = |s: String| s.contains('\u{1b}');
    assert!(!coloured(stderr_with(&[], &[])), "a pipe is not a terminal");
    assert!(coloured(stderr_with(&[], &["--color", "always"])));
    assert!(coloured(stderr_with(
        &[("NO_COLOR", "1")],
        &["--color", "always"]
    )));
    assert!(coloured(stderr_with(&[("CLICOLOR_FORCE", "1")], &[])));
    assert!(!coloured(stderr_with(&[("CLICOLOR_FORCE", "0")], &[])));
    assert!(!coloured(stderr_with(
        &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")],
        &[]
    )));
    // An empty NO_COLOR does not count.
    assert!(coloured(stderr_with(
        &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "")],
        &[]
    )));
    assert!(!coloured(stderr_with(
        &[("CLICOLOR_FORCE", "1")],
        &["--color", "never"]
    )));
    assert_usage_error(
        &batchscale(&["check", "-", "--color", "sometimes"]),
        "--color",
    );
}

#[test]
fn quiet_prints_only_errors() {
    let dir = Scratch::new();
    let unused = dir.file("unused.formula", UNUSED);
    let bad = dir.file("bad.formula", "limit = 1;\n$TargetDedicatedNodes = nope;\n");
    let out = batchscale(&["check", &unused, "-q", "--no-config"]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (Some(0), "", "")
    );
    let out = batchscale(&["check", &bad, "--quiet", "--no-config"]);
    assert_eq!(out.code, Some(1));
    assert!(out.stdout.is_empty(), "{out:#?}");
    assert!(out.stderr.contains("error[BS0201]") && !out.stderr.contains("warning"));
    let out = check_json(&[&unused, &bad, "-q"]);
    assert_eq!(codes(&out), ["BS0201"]);
    // eval -q: the run without its warnings.
    let out = run(&["eval", "-", "-q"], b"$TargetDedicatedNodes = -1;");
    assert_eq!(out.code, Some(0));
    assert!(out.stderr.is_empty(), "{out:#?}");
    assert!(out.stdout.contains("$TargetDedicatedNodes"), "{out:#?}");
}
