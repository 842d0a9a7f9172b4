//! `fmt` as a formatter (issue 12, point 3): several files and folders, `--check` with a
//! unified diff, `--write` in place and atomically, and the corpus: formatting twice
//! changes nothing, and every formatted formula runs as the original does.

use std::path::{Path, PathBuf};

use batchscale::{AutoScaleRun, Snapshot, evaluate_auto_scale, format_formula, validate};

use crate::common::{Scratch, arg, assert_usage_error, batchscale, run};

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn fmt_check_prints_a_unified_diff_named_after_the_file() {
    let dir = Scratch::new();
    let f = dir.file("f.formula", "a = 1;\nb=2;\nc = 3;\n");
    let out = batchscale(&["fmt", "--check", &f]);
    assert_eq!(out.code, Some(1), "{out:#?}");
    assert_eq!(
        out.stdout,
        format!("--- {f}\n+++ {f}\n@@ -1,3 +1,3 @@\n a = 1;\n-b=2;\n+b = 2;\n c = 3;\n")
    );
    assert_eq!(out.stderr, format!("{f}: not formatted\n"));
    // -q: the exit status alone.
    let out = batchscale(&["fmt", "--check", "-q", &f]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (Some(1), "", "")
    );
    // Nothing changed.
    assert_eq!(read(&f), "a = 1;\nb=2;\nc = 3;\n");
}

#[test]
fn fmt_write_replaces_changed_files_atomically_and_leaves_the_others() {
    let dir = Scratch::new();
    let changed = dir.file("changed.formula", "\u{feff}x=1;");
    let same = dir.file("same.formula", "x = 1;\n");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&changed, std::fs::Permissions::from_mode(0o640)).unwrap();
    }
    let inode = |p: &str| {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            std::fs::metadata(p).unwrap().ino()
        }
        #[cfg(not(unix))]
        {
            std::fs::metadata(p).unwrap().len()
        }
    };
    let (before_changed, before_same) = (inode(&changed), inode(&same));
    let out = batchscale(&["fmt", "--write", &changed, &same]);
    assert_eq!(out.code, Some(0), "{out:#?}");
    assert_eq!(out.stderr, format!("{changed}: formatted\n"));
    assert!(out.stdout.is_empty());
    // The byte-order mark is the file's encoding: kept.
    assert_eq!(read(&changed), "\u{feff}x = 1;\n");
    assert_eq!(read(&same), "x = 1;\n");
    #[cfg(unix)]
    {
        // A new file renamed over the old one; the unchanged file untouched.
        assert_ne!(inode(&changed), before_changed);
        assert_eq!(inode(&same), before_same);
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&changed).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
    }
    let _ = (before_changed, before_same);
    // No temporary file is left behind.
    let names: Vec<String> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert_eq!(
        batchscale(&["fmt", "--check", &changed, &same]).code,
        Some(0)
    );
}

#[test]
fn fmt_takes_folders_and_reports_every_file() {
    let dir = Scratch::new();
    std::fs::create_dir_all(dir.0.join("pools")).unwrap();
    std::fs::create_dir_all(dir.0.join(".hidden")).unwrap();
    let a = dir.file("pools/a.formula", "a=1;");
    let broken = dir.file("pools/broken.formula", "a = 1 +;");
    let hidden = dir.file(".hidden/h.formula", "h=1;");
    let other = dir.file("pools/notes.txt", "n=1;");
    let missing = dir.path("missing.formula");
    let root = arg(&dir.0);
    let out = batchscale(&["fmt", "--check", &root]);
    assert_eq!(out.code, Some(1), "{out:#?}");
    assert!(out.stdout.contains(&format!("--- {a}")), "{out:#?}");
    assert!(out.stderr.contains("broken.formula:1:8"), "{out:#?}");
    let out = batchscale(&["fmt", "--write", &root, &missing]);
    assert_eq!(out.code, Some(2), "{out:#?}");
    assert!(out.stderr.contains("no such file"), "{out:#?}");
    assert_eq!(read(&a), "a = 1;\n");
    assert_eq!(read(&broken), "a = 1 +;");
    assert_eq!(read(&hidden), "h=1;");
    assert_eq!(read(&other), "n=1;");
}

#[test]
fn fmt_usage_errors_for_several_files() {
    let dir = Scratch::new();
    let f = dir.file("f.formula", "x = 1;\n");
    assert_usage_error(&batchscale(&["fmt", &f, &f]), "use --write");
    assert_usage_error(&batchscale(&["fmt", "--write", "-"]), "standard input");
    assert_usage_error(&batchscale(&["fmt", "--write", "--check", &f]), "--check");
    let out = run(&["fmt", "--check", "-"], b"x=1");
    assert_eq!(out.code, Some(1));
    assert!(
        out.stdout.starts_with("--- <stdin>\n+++ <stdin>\n"),
        "{out:#?}"
    );
}

/// A run with every position taken out of its messages: formatting moves text, so an
/// error's `Line L, Col C` may change; nothing else may.
fn without_positions(run: &AutoScaleRun) -> String {
    let mut value = serde_json::to_value(run).unwrap();
    if let Some(values) = value["error"]["values"].as_array_mut() {
        for v in values {
            let text = v["value"].as_str().unwrap_or_default();
            let stripped = match text.strip_prefix("Line ") {
                Some(rest) => rest.split_once(": ").map_or(rest, |(_, m)| m).to_string(),
                None => text.to_string(),
            };
            v["value"] = serde_json::Value::String(stripped);
        }
    }
    value.to_string()
}

fn corpus() -> Option<Vec<(String, String)>> {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/corpus.jsonl");
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("skipped: {} is absent", path.display());
        return None;
    };
    Some(
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|line| {
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                (
                    v["id"].as_str().unwrap().to_string(),
                    v["formula"].as_str().unwrap().to_string(),
                )
            })
            .collect(),
    )
}

/// Issue 12's "done when": `fmt --check` over every corpus formula; formatting twice
/// changes nothing; each formatted formula evaluates to the same AutoScaleRun as the
/// original on the same snapshots, and its check finds no warning the original lacked.
#[test]
fn every_corpus_formula_formats_idempotently_and_runs_as_before() {
    let Some(cases) = corpus() else {
        return;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let snapshots: Vec<Snapshot> = ["examples/busy-pool.json", "examples/new-pool.json"]
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(root.join(p)).unwrap();
            Snapshot::from_json(&text, p).unwrap()
        })
        .collect();
    let dir = Scratch::new();
    let mut files = Vec::new();
    let mut refused = 0;
    for (id, formula) in &cases {
        let file = dir.file(&format!("{id}.formula"), formula);
        match format_formula(formula) {
            Ok(_) => files.push((id, formula, file)),
            Err(_) => refused += 1,
        }
    }
    assert!(
        files.len() >= 20,
        "only {} corpus formulas format",
        files.len()
    );
    let folder = arg(&dir.0);
    // The ones with syntax errors are refused (exit 1), each named; the others checked.
    let out = batchscale(&["fmt", "--check", "-q", &folder]);
    assert_eq!(out.code, Some(1), "{out:#?}");
    assert!(out.stderr.matches("error[").count() >= refused, "{out:#?}");
    let out = batchscale(&["fmt", "--write", "-q", &folder]);
    assert_eq!(out.code, Some(if refused > 0 { 1 } else { 0 }), "{out:#?}");
    let formatted_paths: Vec<&str> = files.iter().map(|(_, _, f)| f.as_str()).collect();
    let mut args = vec!["fmt", "--check"];
    args.extend(&formatted_paths);
    let out = batchscale(&args);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (Some(0), ""),
        "formatting twice changed something"
    );
    let mut wrong = Vec::new();
    for (id, original, file) in &files {
        let formatted = read(file);
        assert_eq!(format_formula(&formatted).as_ref(), Ok(&formatted), "{id}");
        for snapshot in &snapshots {
            let before = evaluate_auto_scale(original, snapshot);
            let after = evaluate_auto_scale(&formatted, snapshot);
            let same = match (&before, &after) {
                (Ok(a), Ok(b)) => without_positions(a) == without_positions(b),
                (Err(a), Err(b)) => a.code == b.code,
                _ => false,
            };
            if !same {
                wrong.push(format!("{id}: {before:?}\nformatted: {after:?}"));
            }
        }
        // No new warning: the formatter keeps the parentheses the checker asks for.
        let codes = |text: &str| -> Vec<&'static str> {
            validate(text, None)
                .diagnostics
                .iter()
                .map(|d| d.code)
                .collect()
        };
        let (old, new) = (codes(original), codes(&formatted));
        for code in &new {
            if !old.contains(code) {
                wrong.push(format!("{id}: formatting added {code}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[cfg(unix)]
#[test]
fn fmt_write_through_a_symbolic_link_replaces_the_file_it_names() {
    let dir = Scratch::new();
    let real = dir.file("real.formula", "x=1;");
    let link = dir.path("link.formula");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let out = batchscale(&["fmt", "--write", &link]);
    assert_eq!(out.code, Some(0), "{out:#?}");
    assert_eq!(read(&real), "x = 1;\n");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}
