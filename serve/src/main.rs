//! `offgrid-server`: the sync server alone, for the machine that runs it.
//!
//! ```sh
//! offgrid-server serve --data /var/lib/offgrid --addr 0.0.0.0:8470
//! offgrid-server admin --data /var/lib/offgrid user-add wangfang --name 王芳
//! ```

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use offgrid_serve::{AdminArgs, ServeArgs};

/// Offgrid's sync server: devices push and pull their records' changes and photos here.
#[derive(Parser)]
#[command(name = "offgrid-server", version)]
struct Cli {
    /// Print lists as JSON (admin tokens, admin tag-key list).
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the sync server until SIGINT/SIGTERM (requests in flight are finished).
    Serve(ServeArgs),
    /// Users, passwords, tokens, projects, members, templates and tag keys.
    Admin(AdminArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    offgrid_serve::init_logging(match cli.command {
        Command::Serve(_) => "info",
        Command::Admin(_) => "warn",
    });
    let done = match cli.command {
        Command::Serve(args) => offgrid_serve::serve(args),
        Command::Admin(args) => offgrid_serve::admin(args, cli.json),
    };
    match done {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
