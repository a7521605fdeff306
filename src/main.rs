//! The `gitops-render` binary: parse arguments, run, exit with the command's code.

fn main() -> std::process::ExitCode {
    gitops_render::cli::main()
}
