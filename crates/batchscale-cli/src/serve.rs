//! `batchscale serve`: the local emulator of the Azure Batch pool API
//! (`crates/batchscale-serve`). Flags, the ready line, exit codes.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use batchscale_serve::config::{parse_accounts, parse_delay};
use batchscale_serve::{ClockMode, Config, Delays};
use clap::{Args, ValueEnum};

/// The clock mode flag.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ClockArg {
    /// Emulator time runs with wall time (times --clock-rate).
    Real,
    /// Emulator time moves only through POST /_emulator/clock.
    Manual,
}

/// `batchscale serve` flags (emulator.md 1.1).
#[derive(Args)]
pub struct ServeArgs {
    /// Bind address; 0.0.0.0 or :: only when given explicitly.
    #[arg(long, default_value = "127.0.0.1", value_name = "ADDR")]
    host: String,
    /// Port; 0 binds a free one (the ready line shows it).
    #[arg(long, default_value_t = 8090, value_name = "N")]
    port: u16,
    /// Keep everything in DIR/emulator.sqlite3 (default: in memory).
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// The emulator clock.
    #[arg(long, value_enum, default_value_t = ClockArg::Real)]
    clock: ClockArg,
    /// Emulator time runs N times wall time (only with --clock real).
    #[arg(long, value_name = "N")]
    clock_rate: Option<String>,
    /// Accounts and keys: NAME:KEY[:KEY2][;NAME:KEY[:KEY2]...] (else BATCHSCALE_ACCOUNTS,
    /// else devbatch with the public development key).
    #[arg(long, value_name = "LIST")]
    accounts: Option<String>,
    /// Refuse unknown api-versions, body properties and query parameters.
    #[arg(long)]
    strict: bool,
    /// One stderr line per request (and the string-to-sign of a 403).
    #[arg(long)]
    log_requests: bool,
    /// Time for nodes to join or leave and a stop to settle (PT5S real, PT0S manual).
    #[arg(long, value_name = "D")]
    allocation_delay: Option<String>,
    /// Time a joined node is starting before idle (PT0S).
    #[arg(long, value_name = "D")]
    start_delay: Option<String>,
    /// Time a deleted pool stays deleting (PT5S real, PT0S manual).
    #[arg(long, value_name = "D")]
    deletion_delay: Option<String>,
    /// Delay before a workload sample is visible to formulas (PT15S).
    #[arg(long, value_name = "D")]
    sample_lag: Option<String>,
    /// Delay before a closed usage bucket is listed (PT2H real, PT0S manual).
    #[arg(long, value_name = "D")]
    usage_delay: Option<String>,
}

fn config(args: ServeArgs) -> Result<Config, String> {
    let clock = match (args.clock, &args.clock_rate) {
        (ClockArg::Manual, Some(_)) => {
            return Err("--clock-rate applies only with --clock real".to_string());
        }
        (ClockArg::Manual, None) => ClockMode::Manual,
        (ClockArg::Real, rate) => {
            let rate = match rate {
                None => 1.0,
                Some(text) => match text.parse::<f64>() {
                    Ok(r)
                        if r.is_finite()
                            && r > 0.0
                            && !text.contains(['e', 'E', 'n', 'N', 'i', 'I']) =>
                    {
                        r
                    }
                    _ => return Err(format!("--clock-rate: '{text}' is not a positive decimal")),
                },
            };
            ClockMode::Real { rate }
        }
    };
    let mut config = Config::new(clock);
    config.host = args.host;
    config.port = args.port;
    config.data = args.data;
    config.strict = args.strict;
    config.log_requests = args.log_requests;
    let accounts = match args.accounts {
        Some(list) => Some(("--accounts", list)),
        None => std::env::var("BATCHSCALE_ACCOUNTS")
            .ok()
            .map(|list| ("BATCHSCALE_ACCOUNTS", list)),
    };
    if let Some((source, list)) = accounts {
        config.accounts = parse_accounts(&list).map_err(|e| format!("{source}: {e}"))?;
    }
    let mut delays = Delays::defaults(clock);
    for (flag, value, slot) in [
        (
            "--allocation-delay",
            args.allocation_delay,
            &mut delays.allocation,
        ),
        ("--start-delay", args.start_delay, &mut delays.start),
        (
            "--deletion-delay",
            args.deletion_delay,
            &mut delays.deletion,
        ),
        ("--sample-lag", args.sample_lag, &mut delays.sample_lag),
        ("--usage-delay", args.usage_delay, &mut delays.usage),
    ] {
        if let Some(text) = value {
            *slot = parse_delay(&text).map_err(|e| format!("{flag}: {e}"))?;
        }
    }
    config.delays = delays;
    Ok(config)
}

/// Runs `batchscale serve`.
pub fn run(args: ServeArgs) -> ExitCode {
    let config = match config(args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("batchscale serve: error: {e}");
            return ExitCode::from(2);
        }
    };
    let names: Vec<String> = config.accounts.iter().map(|a| a.name.clone()).collect();
    let exit = batchscale_serve::serve_blocking(config, |addr| {
        let accounts = if names.len() == 1 {
            format!("account {}", names[0])
        } else {
            format!("accounts {}", names.join(", "))
        };
        let host = match addr {
            std::net::SocketAddr::V6(a) => format!("[{}]", a.ip()),
            std::net::SocketAddr::V4(a) => a.ip().to_string(),
        };
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "batchscale serve: listening on http://{host}:{} ({accounts})",
            addr.port()
        );
        let _ = out.flush();
    });
    if exit.code == 0 {
        eprintln!("batchscale serve: stopped");
    } else {
        eprintln!("batchscale serve: error: {}", exit.message);
    }
    ExitCode::from(exit.code)
}
