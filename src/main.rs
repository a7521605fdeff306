//! The `gitops-render` binary: parse arguments, run, exit with the command's code.

/// Rendering allocates and frees millions of small maps and strings across threads; glibc
/// malloc spent a quarter of a render in its own bookkeeping and page faults (see README,
/// Performance).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    gitops_render::cli::main()
}
