//! The `gitops-render` binary: parse arguments, run, exit with the command's code.

/// Rendering allocates and frees millions of small maps and strings across threads; glibc
/// malloc spent a quarter of a render in its own bookkeeping and page faults (see README,
/// Performance).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// How long, in milliseconds, mimalloc keeps memory freed before it gives the pages back
/// (its default is 1,000). A stream frees a batch's documents every ~0.3 s at N = 10,000;
/// kept for a second, they were still counted when the next batches peaked: 158 MB max RSS
/// against 141 MB at 25 ms, for ~1–4% more time (docs/performance.md).
const PURGE_DELAY_MS: std::ffi::c_long = 25;

/// mimalloc.h's `mi_option_purge_delay`, which libmimalloc-sys does not name: the option
/// just before `mi_option_use_numa_nodes`, which it does (mimalloc 2 and 3 alike).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t =
    libmimalloc_sys::mi_option_use_numa_nodes - 1;

fn main() -> std::process::ExitCode {
    give_back_freed_pages_sooner();
    gitops_render::cli::main()
}

/// Set mimalloc's purge delay to [`PURGE_DELAY_MS`], unless the user set it
/// (`MIMALLOC_PURGE_DELAY`, or its old name `MIMALLOC_RESET_DELAY`).
fn give_back_freed_pages_sooner() {
    let set = |name| std::env::var_os(name).is_some();
    if set("MIMALLOC_PURGE_DELAY") || set("MIMALLOC_RESET_DELAY") {
        return;
    }
    // SAFETY: `mi_option_set` takes two integers and only stores the second as the option's
    // value; mimalloc reads options with atomics, so setting one while threads allocate is
    // allowed (and none run yet).
    #[allow(unsafe_code)]
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS)
    };
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_purge_delay_is_set_unless_the_user_set_it() {
        let user = std::env::var_os("MIMALLOC_PURGE_DELAY").is_some()
            || std::env::var_os("MIMALLOC_RESET_DELAY").is_some();
        super::give_back_freed_pages_sooner();
        // SAFETY: reads one option's value.
        #[allow(unsafe_code)]
        let now = unsafe { libmimalloc_sys::mi_option_get(super::MI_OPTION_PURGE_DELAY) };
        if !user {
            assert_eq!(now, super::PURGE_DELAY_MS);
        }
    }
}
