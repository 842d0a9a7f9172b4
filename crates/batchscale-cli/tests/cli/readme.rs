//! The README's command examples, run for real: each `$ batchscale ...` block must print
//! what the README shows, so the README cannot drift from the tool.

use std::process::Command;

const README: &str = include_str!("../../../../README.md");

/// Every fenced block that starts with `$ batchscale ...`: the arguments and the text shown.
fn examples() -> Vec<(Vec<String>, String)> {
    let mut out = Vec::new();
    let mut lines = README.lines();
    while let Some(line) = lines.next() {
        if !line.starts_with("```") {
            continue;
        }
        let block: Vec<&str> = lines
            .by_ref()
            .take_while(|l| !l.starts_with("```"))
            .collect();
        if let Some(command) = block.first().and_then(|l| l.strip_prefix("$ batchscale ")) {
            let args = command.split_whitespace().map(str::to_string).collect();
            out.push((args, block[1..].join("\n")));
        }
    }
    out
}

#[test]
fn readme_shows_what_the_commands_print() {
    let examples = examples();
    assert!(examples.len() >= 3, "the README lost its command examples");
    for (args, shown) in examples {
        let output = Command::new(env!("CARGO_BIN_EXE_batchscale"))
            .args(&args)
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
            .env("NO_COLOR", "1")
            .output()
            .expect("the binary runs");
        // The README shows what a terminal shows: standard error, then standard output.
        let printed = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stderr),
            String::from_utf8_lossy(&output.stdout)
        );
        assert_eq!(
            printed.trim_end(),
            shown.trim_end(),
            "README example `batchscale {}` prints something else",
            args.join(" ")
        );
    }
}

#[test]
fn readme_quick_start_names_files_that_exist() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let quick = README
        .lines()
        .find(|l| l.starts_with("cargo run --release -- eval "))
        .expect("the README shows the quick-start command");
    for word in quick
        .split_whitespace()
        .filter(|w| w.starts_with("examples/"))
    {
        assert!(
            root.join(word).is_file(),
            "README names {word}, which does not exist"
        );
    }
    assert!(
        README.contains("\ncargo test\n"),
        "the README shows the test command"
    );
}

/// The README installs `batchscale` before its first example calls it, documents `fmt`,
/// and points at nothing outside the repository: every relative link names a file of it.
#[test]
fn readme_installs_before_its_examples_and_points_only_inside_the_repository() {
    let install = README
        .find("\ncargo install --path crates/batchscale-cli\n")
        .expect("the README shows the install step");
    let first = README
        .find("\n$ batchscale ")
        .expect("the README has examples");
    assert!(install < first, "the install step comes after an example");
    assert!(
        README.contains("$ batchscale fmt ") && README.contains("fmt --check"),
        "fmt is documented"
    );
    assert!(
        !README.contains("../"),
        "the README points outside the repository"
    );
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    for link in README.split("](").skip(1) {
        let target = link.split(')').next().unwrap();
        if target.starts_with("http") {
            continue;
        }
        assert!(
            root.join(target).exists(),
            "the README links to {target}, which does not exist"
        );
    }
}
