//! Shell completions and the man page (issue 12, point 6).

use crate::common::{assert_usage_error, batchscale};

#[test]
fn completions_are_printed_for_bash_zsh_fish_and_powershell() {
    for (shell, marker) in [
        ("bash", "complete -F _batchscale"),
        ("zsh", "#compdef batchscale"),
        ("fish", "complete -c batchscale"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = batchscale(&["completions", shell]);
        assert_eq!(out.code, Some(0), "{shell}: {out:#?}");
        assert!(
            out.stdout.contains(marker),
            "{shell}: {}",
            &out.stdout[..200]
        );
        for word in ["check", "fmt", "explain", "deny", "write"] {
            assert!(out.stdout.contains(word), "{shell} completes no {word}");
        }
        assert!(out.stderr.is_empty());
    }
    assert_usage_error(&batchscale(&["completions", "tcsh"]), "tcsh");
    assert_usage_error(&batchscale(&["completions"]), "SHELL");
}

#[test]
fn man_prints_a_roff_page_of_every_command() {
    let out = batchscale(&["man"]);
    assert_eq!(out.code, Some(0), "{out:#?}");
    assert!(out.stdout.contains(".TH batchscale 1"), "{}", out.stdout);
    assert!(out.stdout.contains(".SH SUBCOMMANDS") || out.stdout.contains(".SH COMMANDS"));
    for command in [
        "eval",
        "check",
        "fmt",
        "explain",
        "completions",
        "simulate",
        "serve",
    ] {
        assert!(
            out.stdout.contains(&format!("batchscale\\-{command}")),
            "the man page does not name {command}"
        );
    }
}

#[test]
fn man_prints_a_commands_page_or_writes_every_page() {
    let out = batchscale(&["man", "check"]);
    assert_eq!(out.code, Some(0), "{out:#?}");
    assert!(
        out.stdout.contains(".TH batchscale-check 1"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("\\-\\-deny"),
        "the check page documents --deny"
    );
    assert_usage_error(
        &batchscale(&["man", "nope"]),
        "expected one of: eval, check",
    );
    let dir = crate::common::Scratch::new();
    let folder = crate::common::arg(&dir.0);
    let out = batchscale(&["man", "--out", &folder]);
    assert_eq!(out.code, Some(0), "{out:#?}");
    for page in [
        "batchscale.1",
        "batchscale-check.1",
        "batchscale-fmt.1",
        "batchscale-serve.1",
    ] {
        assert!(dir.0.join(page).is_file(), "{page} was not written");
    }
    assert_usage_error(
        &batchscale(&["man", "--out", &format!("{folder}/missing/deeper")]),
        "cannot write the man pages",
    );
}
