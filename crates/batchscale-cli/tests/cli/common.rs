//! Helpers every test file shares: a scratch folder, running the binary, and the checks
//! of a usage error.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

/// The evaluation instant of the scratch snapshots.
pub const NOW: &str = "2024-05-01T12:00:00Z";

/// A scratch folder under the system's temporary directory, removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new() -> Scratch {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "batchscale-cli-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        fs::create_dir_all(&dir).expect("create a scratch folder");
        Scratch(dir)
    }

    /// Writes a file and returns its path as a string argument.
    pub fn file(&self, name: &str, contents: impl AsRef<[u8]>) -> String {
        let path = self.0.join(name);
        fs::write(&path, contents).expect("write a scratch file");
        arg(&path)
    }

    /// A snapshot evaluated at `NOW` with an empty pool.
    pub fn snapshot(&self) -> String {
        self.file("pool.json", format!(r#"{{"evaluationTime": "{NOW}"}}"#))
    }

    /// The path of a file in the folder, which need not exist.
    pub fn path(&self, name: &str) -> String {
        arg(&self.0.join(name))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A path as a command-line argument.
pub fn arg(path: &Path) -> String {
    path.to_str()
        .expect("temporary paths are UTF-8")
        .to_string()
}

/// What one command did.
#[derive(Debug)]
pub struct Out {
    /// The exit status; `None` when a signal ended the process.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    /// Standard output as one JSON value.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not one JSON value ({e}): {:?}; stderr: {:?}",
                self.stdout, self.stderr
            )
        })
    }
}

/// Runs the binary with `args`, without colours, `stdin` on its standard input. Never a
/// panic.
pub fn run(args: &[&str], stdin: &[u8]) -> Out {
    let mut child = Command::new(env!("CARGO_BIN_EXE_batchscale"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut pipe = child.stdin.take().expect("stdin is piped");
    // The binary may exit without reading standard input; a broken pipe is fine then.
    let _ = pipe.write_all(stdin);
    drop(pipe);
    let output = child.wait_with_output().expect("the binary finishes");
    let out = Out {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert!(
        !out.stderr.contains("panicked"),
        "{args:?} panicked: {}",
        out.stderr
    );
    out
}

/// Runs the binary with `args` and an empty standard input.
pub fn batchscale(args: &[&str]) -> Out {
    run(args, b"")
}

/// Exit 2, no result on stdout, and a message on stderr that mentions `needle`.
pub fn assert_usage_error(out: &Out, needle: &str) {
    assert_eq!(
        out.code,
        Some(2),
        "expected exit 2 (the command could not run), got {out:#?}"
    );
    assert!(
        out.stderr.contains(needle),
        "stderr should mention {needle:?}: {:?}",
        out.stderr
    );
    assert!(
        out.stdout.trim().is_empty(),
        "a usage error prints no result on stdout, got {:?}",
        out.stdout
    );
}
