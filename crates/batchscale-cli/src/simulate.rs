//! `batchscale simulate`: what a pool does over time under a formula
//! (`simulation.md`). A thin shell over `batchscale-sim`: flags, files, the table.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use batchscale::{Interval, Metric, Timestamp};
use batchscale_sim::plot::timeline_svg;
use batchscale_sim::report::{self, Num, Spread, Summary};
use batchscale_sim::scenario::{Scenario, parse_duration};
use batchscale_sim::sim::{Driver, Inputs, Outputs, Plan, RunResult, SetupError, run_seeds};
use batchscale_sim::workload::{read_metrics, read_workload};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Simulate a pool over time under a formula: nodes, queue wait, cost and every run.
#[derive(Args, Debug)]
#[command(
    about = "Simulate a pool over hours to weeks under a formula: nodes, queue wait, cost, every evaluation",
    long_about = "Simulate a pool over hours to weeks under a formula, as the service runs it (on \
                  enable, then every interval), with a workload (closed loop), recorded metrics \
                  (open loop) or neither. Prints a summary; --out DIR also writes summary.json, \
                  runs.jsonl, timeseries.csv, timeline.svg (and snapshots/ with --snapshots).\n\n\
                  Exit status: 0 the simulation ran (failed evaluations are reported), 1 a formula \
                  was rejected, 2 the command could not run (bad scenario, workload, flag)."
)]
pub struct SimulateArgs {
    /// The formula file, or '-' for standard input.
    formula: String,
    /// The pool, its limits and the model's parameters (TOML; .json with the same keys).
    #[arg(long, value_name = "SCENARIO.toml")]
    scenario: Option<PathBuf>,
    /// Tasks to run (closed loop): .csv, .jsonl or .swf.
    #[arg(long, value_name = "FILE", conflicts_with = "metrics")]
    workload: Option<PathBuf>,
    /// Recorded metrics (open loop), in the snapshot's "metrics" shape.
    #[arg(long, value_name = "FILE")]
    metrics: Option<PathBuf>,
    /// The start (RFC 3339); default: the first task's submit time, else 2025-01-06T00:00:00Z.
    #[arg(long, value_name = "TIME")]
    start: Option<String>,
    /// How long (ISO 8601 or 7d, 36h, 90m); default: until the workload is done and the
    /// pool settled, at most 30 days.
    #[arg(long, value_name = "DURATION")]
    duration: Option<String>,
    /// The evaluation interval (PT15M or 15m; 5 minutes to 168 hours); default 15m.
    #[arg(long, value_name = "DURATION")]
    interval: Option<String>,
    /// Seeds every random draw (default 0).
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// Run N seeds (seed, seed+1, ...) on every core and report p50/p95/max.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    seeds: Option<u64>,
    /// A second formula, run on the same scenario and seeds, reported side by side.
    #[arg(long, value_name = "OTHER_FORMULA")]
    compare: Option<String>,
    /// Write summary.json, runs.jsonl, timeseries.csv and timeline.svg into DIR.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// With --out: also write the snapshot of every evaluation (snapshots/NNNNNN.json).
    #[arg(long, requires = "out")]
    snapshots: bool,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug, ValueEnum)]
enum Format {
    Text,
    Json,
}

/// Why the command stopped: a usage problem (exit 2) or a rejected formula (exit 1).
enum Stop {
    Usage(String),
    Rejected(String, Box<batchscale::Rejection>),
}

impl From<std::io::Error> for Stop {
    fn from(e: std::io::Error) -> Stop {
        Stop::Usage(format!("cannot write the output: {e}"))
    }
}

/// Runs the command; the exit status as `simulation.md` section 1 says.
pub fn run(args: SimulateArgs) -> ExitCode {
    match simulate(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Stop::Usage(message)) => {
            eprintln!("batchscale: error: {message}");
            ExitCode::from(2)
        }
        Err(Stop::Rejected(name, rejection)) => {
            match args.format {
                Format::Json => println!(
                    "{}",
                    serde_json::to_string(&rejection.error).expect("a Batch error serialises")
                ),
                Format::Text => {
                    let detail = rejection.error.detail().unwrap_or("");
                    println!("{name}: rejected: {}: {detail}", rejection.error.code);
                }
            }
            ExitCode::from(1)
        }
    }
}

fn read_formula(path: &str) -> Result<(String, String), Stop> {
    if path == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Stop::Usage(format!("cannot read standard input: {e}")))?;
        return Ok(("<stdin>".to_string(), text));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| Stop::Usage(format!("cannot read '{path}': {}", reason(&e))))?;
    Ok((path.to_string(), text))
}

fn reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}

fn setup(e: SetupError) -> Stop {
    match e {
        SetupError::Rejected { name, rejection } => Stop::Rejected(name, rejection),
        SetupError::Invalid(message) => Stop::Usage(message),
    }
}

struct Opened {
    runs: BufWriter<File>,
    timeseries: BufWriter<File>,
    snapshots: Option<PathBuf>,
}

fn open_outputs(dir: &Path, snapshots: bool) -> Result<Opened, Stop> {
    let create = |p: &Path| {
        File::create(p)
            .map(BufWriter::new)
            .map_err(|e| Stop::Usage(format!("cannot write '{}': {e}", p.display())))
    };
    std::fs::create_dir_all(dir)
        .map_err(|e| Stop::Usage(format!("cannot create '{}': {e}", dir.display())))?;
    let snapshots = if snapshots {
        let d = dir.join("snapshots");
        std::fs::create_dir_all(&d)
            .map_err(|e| Stop::Usage(format!("cannot create '{}': {e}", d.display())))?;
        Some(d)
    } else {
        None
    };
    Ok(Opened {
        runs: create(&dir.join("runs.jsonl"))?,
        timeseries: create(&dir.join("timeseries.csv"))?,
        snapshots,
    })
}

/// A run of one formula over the seeds: every summary and the first seed's result.
struct Outcome {
    summaries: Vec<Summary<Num>>,
    first: RunResult,
}

fn run_plan(
    plan: &Plan,
    seed: u64,
    seeds: u64,
    dir: Option<&Path>,
    snapshots: bool,
    progress: &(dyn Fn(f64) + Sync),
) -> Result<Outcome, Stop> {
    let mut opened = dir.map(|d| open_outputs(d, snapshots)).transpose()?;
    let mut outputs = Outputs {
        plot: dir.is_some(),
        progress: Some(progress),
        ..Outputs::default()
    };
    if let Some(o) = opened.as_mut() {
        outputs.runs = Some(&mut o.runs);
        outputs.timeseries = Some(&mut o.timeseries);
        outputs.snapshots = o.snapshots.as_deref();
    }
    let (summaries, first) = run_seeds(plan, seed, seeds, &mut outputs)?;
    if let Some(mut o) = opened {
        o.runs.flush()?;
        o.timeseries.flush()?;
    }
    Ok(Outcome { summaries, first })
}

fn write_file(path: &Path, text: &str) -> Result<(), Stop> {
    std::fs::write(path, text)
        .map_err(|e| Stop::Usage(format!("cannot write '{}': {e}", path.display())))
}

/// The summary to print and save: one run's figures, or p50/p95/max over seeds.
enum Figures {
    One(Box<Summary<Num>>),
    Seeds(Box<Summary<Spread>>),
}

impl Figures {
    fn of(outcome: &Outcome, seeds: bool) -> Figures {
        if seeds {
            Figures::Seeds(Box::new(report::aggregate(&outcome.summaries)))
        } else {
            Figures::One(Box::new(outcome.summaries[0].clone()))
        }
    }

    fn json(&self) -> serde_json::Value {
        match self {
            Figures::One(s) => serde_json::to_value(s),
            Figures::Seeds(s) => serde_json::to_value(s),
        }
        .expect("a summary serialises")
    }

    fn text(&self) -> String {
        match self {
            Figures::One(s) => serde_json::to_string_pretty(s),
            Figures::Seeds(s) => serde_json::to_string_pretty(s),
        }
        .expect("a summary serialises")
    }

    fn rows(&self) -> Vec<(String, String)> {
        match self {
            Figures::One(s) => report::rows(s),
            Figures::Seeds(s) => report::rows(s),
        }
    }
}

fn simulate(args: &SimulateArgs) -> Result<(), Stop> {
    if args.formula == "-" && args.compare.as_deref() == Some("-") {
        return Err(Stop::Usage(
            "the formula and --compare cannot both be read from standard input".into(),
        ));
    }
    let (name, text) = read_formula(&args.formula)?;
    let other = args.compare.as_deref().map(read_formula).transpose()?;
    let scenario = match &args.scenario {
        None => Scenario::default(),
        Some(path) => Scenario::load(path).map_err(|e| Stop::Usage(e.to_string()))?,
    };
    let driver = match (&args.workload, &args.metrics) {
        (Some(path), _) => {
            Driver::Workload(read_workload(path).map_err(|e| Stop::Usage(e.to_string()))?)
        }
        (None, Some(path)) => {
            let metrics = read_metrics(path).map_err(|e| Stop::Usage(e.to_string()))?;
            if metrics
                .iter()
                .any(|(m, _)| *m == Metric::PreemptedNodeCount)
            {
                eprintln!(
                    "batchscale: warning: {}: $PreemptedNodeCount comes from the simulated pool; the recorded series is not used",
                    path.display()
                );
            }
            Driver::Metrics(metrics)
        }
        (None, None) => Driver::Empty,
    };
    let start = args
        .start
        .as_deref()
        .map(|t| Timestamp::parse_rfc3339(t).map_err(|e| Stop::Usage(format!("--start: {e}"))))
        .transpose()?;
    let duration = args
        .duration
        .as_deref()
        .map(|d| parse_duration(d).map_err(|e| Stop::Usage(format!("--duration: {e}"))))
        .transpose()?;
    if duration.is_some_and(|d: Interval| d.ticks() == 0) {
        return Err(Stop::Usage(
            "--duration: expected a duration longer than 0".into(),
        ));
    }
    let interval = args
        .interval
        .as_deref()
        .map(|i| Interval::parse_arg(i).map_err(|e| Stop::Usage(format!("--interval: {e}"))))
        .transpose()?;
    let seed = args.seed.or(scenario.seed).unwrap_or(0);
    let seeds = args.seeds.unwrap_or(1);
    let make = |name: &str, text: &str| {
        Plan::new(Inputs {
            formula_name: name.to_string(),
            formula_text: text.to_string(),
            scenario: scenario.clone(),
            driver: driver.clone(),
            start,
            duration,
            interval,
        })
        .map_err(setup)
    };
    let plan_a = make(&name, &text)?;
    let plan_b = other.as_ref().map(|(n, t)| make(n, t)).transpose()?;

    // A progress bar on a terminal, shown once a run has taken a second.
    let bar = ProgressBar::with_draw_target(Some(1000), ProgressDrawTarget::hidden());
    bar.set_style(
        ProgressStyle::with_template("simulating {bar:40} {percent}% ({elapsed})")
            .expect("a valid template"),
    );
    let terminal = std::io::stderr().is_terminal();
    let shown = AtomicBool::new(false);
    let began = Instant::now();
    let runs_total = if plan_b.is_some() { 2.0 } else { 1.0 };
    let progress_for = |offset: f64| {
        let bar = &bar;
        let shown = &shown;
        move |fraction: f64| {
            if !terminal {
                return;
            }
            if !shown.load(Ordering::Relaxed) && began.elapsed().as_secs_f64() > 1.0 {
                shown.store(true, Ordering::Relaxed);
                bar.set_draw_target(ProgressDrawTarget::stderr());
            }
            bar.set_position(((offset + fraction) / runs_total * 1000.0) as u64);
        }
    };

    let dir = args.out.as_deref();
    let sub = |part: &str| {
        dir.map(|d| {
            if plan_b.is_some() {
                d.join(part)
            } else {
                d.to_path_buf()
            }
        })
    };
    let progress_a = progress_for(0.0);
    let a = run_plan(
        &plan_a,
        seed,
        seeds,
        sub("a").as_deref(),
        args.snapshots,
        &progress_a,
    )?;
    let b = match &plan_b {
        None => None,
        Some(plan) => {
            let progress_b = progress_for(1.0);
            Some(run_plan(
                plan,
                seed,
                seeds,
                sub("b").as_deref(),
                args.snapshots,
                &progress_b,
            )?)
        }
    };
    bar.finish_and_clear();

    let several = args.seeds.is_some();
    let fa = Figures::of(&a, several);
    let fb = b.as_ref().map(|b| Figures::of(b, several));
    let json = match &fb {
        None => fa.text(),
        Some(fb) => {
            serde_json::to_string_pretty(&serde_json::json!({"a": fa.json(), "b": fb.json()}))
                .expect("a summary serialises")
        }
    };
    if let Some(dir) = dir {
        let title = |n: &str| format!("batchscale simulate: {n}");
        let plot_a = a.first.plot.as_ref().expect("plot data was kept");
        match &b {
            None => write_file(
                &dir.join("timeline.svg"),
                &timeline_svg(&title(&name), &[(&name, plot_a)]),
            )?,
            Some(b) => {
                let (other_name, _) = other.as_ref().expect("a second formula");
                let plot_b = b.first.plot.as_ref().expect("plot data was kept");
                write_file(&dir.join("a").join("summary.json"), &(fa.text() + "\n"))?;
                write_file(
                    &dir.join("a").join("timeline.svg"),
                    &timeline_svg(&title(&name), &[(&name, plot_a)]),
                )?;
                let fb = fb.as_ref().expect("compared");
                write_file(&dir.join("b").join("summary.json"), &(fb.text() + "\n"))?;
                write_file(
                    &dir.join("b").join("timeline.svg"),
                    &timeline_svg(&title(other_name), &[(other_name, plot_b)]),
                )?;
                write_file(
                    &dir.join("timeline.svg"),
                    &timeline_svg(
                        &format!("batchscale simulate: a = {name}, b = {other_name}"),
                        &[("a", plot_a), ("b", plot_b)],
                    ),
                )?;
            }
        }
        write_file(&dir.join("summary.json"), &(json.clone() + "\n"))?;
    }
    let mut stdout = std::io::stdout().lock();
    let printed = match args.format {
        Format::Json => json + "\n",
        Format::Text => {
            let seeds_note = if several { "p50 / p95 / max" } else { "" };
            match (&fb, &other) {
                (Some(fb), Some((other_name, _))) => {
                    let ha = format!("a: {name}");
                    let hb = format!("b: {other_name}");
                    let mut text = report::table(&[&ha, &hb], &[fa.rows(), fb.rows()]);
                    if several {
                        text.push_str(&format!("(each figure: {seeds_note} over {seeds} seeds)\n"));
                    }
                    text
                }
                _ => {
                    let mut text = report::table(&[], &[fa.rows()]);
                    if several {
                        text.push_str(&format!("(each figure: {seeds_note} over {seeds} seeds)\n"));
                    }
                    text
                }
            }
        }
    };
    // A reader that stops early (`| head`) is not an error.
    let _ = stdout
        .write_all(printed.as_bytes())
        .and_then(|()| stdout.flush());
    Ok(())
}
