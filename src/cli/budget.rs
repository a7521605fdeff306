//! The memory budget: a backstop for what no limit before the work can bound.
//!
//! Inputs are size-checked before they are read, YAML nesting and aliases are bounded, and
//! template output is cut as it crosses its limit; but a template can still build a huge
//! value without printing it (a string doubled in a loop reached 6.8 GB). A watcher thread
//! reads the process's resident size every few milliseconds and ends the run with exit 2
//! and a clear message once it passes the budget, well before the machine swaps or the
//! kernel's OOM killer picks a victim. Nothing is written by then: a render replaces files
//! only after the whole tree was rendered and checked, and a first render's staging folder
//! (outside the tree until it is applied) is removed before the exit.
//!
//! Linux only (it reads `/proc/self/statm`); elsewhere the budget is not enforced.

use std::time::Duration;

/// The budget when neither `--max-memory` nor `GITOPS_RENDER_MAX_MEMORY` sets one: far above
/// what the largest benchmarked estate needs (N = 10,000 × 4 with lint, about 1.5 GiB).
pub const DEFAULT_BYTES: u64 = 4 << 30;

/// The budget when none is set: [`DEFAULT_BYTES`], or less under a tighter limit the process
/// runs under — three quarters of the cgroup's `memory.max` (a repo-server sidecar with a
/// memory limit), a third of the address-space limit (reserved address space runs far
/// ahead of resident memory, and one large allocation is reserved at once) — so that the
/// budget fires before the kernel's OOM killer or a failed allocation ends the run
/// without a word.
pub fn default_bytes() -> u64 {
    let mut limit = DEFAULT_BYTES;
    #[cfg(target_os = "linux")]
    {
        let cgroup = std::fs::read_to_string("/sys/fs/cgroup/memory.max")
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok());
        let address_space = std::fs::read_to_string("/proc/self/limits")
            .ok()
            .and_then(|s| {
                let line = s.lines().find(|l| l.starts_with("Max address space"))?;
                line.split_whitespace().nth(3)?.parse::<u64>().ok()
            });
        if let Some(bytes) = cgroup {
            limit = limit.min(bytes / 4 * 3);
        }
        if let Some(bytes) = address_space {
            limit = limit.min(bytes / 3);
        }
    }
    limit.max(64 << 20)
}

/// How often the resident size is read.
const EVERY: Duration = Duration::from_millis(5);

/// Parse a size: bytes, or a number with `K`, `M`, `G` (binary units, `Ki`/`KiB` too), or
/// `off`.
pub fn parse(s: &str) -> Result<Option<u64>, String> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    let digits = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(digits);
    let n: u64 = n
        .parse()
        .map_err(|_| format!("`{s}` is not a size (e.g. 512M, 4G or off)"))?;
    let shift = match unit.trim_end_matches("iB").trim_end_matches('i') {
        "" | "B" => 0,
        "K" | "k" => 10,
        "M" => 20,
        "G" => 30,
        _ => return Err(format!("`{s}` is not a size (e.g. 512M, 4G or off)")),
    };
    let bytes = n
        .checked_mul(1 << shift)
        .ok_or_else(|| format!("`{s}` is too large"))?;
    if bytes < 64 << 20 {
        return Err(format!("`{s}` is below the 64M a run needs"));
    }
    Ok(Some(bytes))
}

/// Start the watcher for `limit` bytes of resident memory.
pub fn watch(limit: u64) {
    #[cfg(target_os = "linux")]
    {
        let page = rustix::param::page_size() as u64;
        let _ = std::thread::Builder::new()
            .name("memory-budget".into())
            .stack_size(64 << 10)
            .spawn(move || loop {
                std::thread::sleep(EVERY);
                let Some(rss) = resident_pages().map(|p| p * page) else {
                    return;
                };
                if rss > limit {
                    super::output::err(&format!(
                        "error: gitops-render used more than its memory budget of {} MiB and stopped; nothing was written\n  = help: an input or template builds a very large value (a string doubled in a loop?); raise the budget with --max-memory or GITOPS_RENDER_MAX_MEMORY only if the estate is really that large\n  = code: memory-budget\n",
                        limit >> 20
                    ));
                    // A first render creates its files as it goes, in a staging folder
                    // outside the tree: take it back so that nothing is left.
                    crate::tree::io::abandon_in_progress();
                    std::process::exit(2);
                }
            });
    }
    #[cfg(not(target_os = "linux"))]
    let _ = limit;
}

#[cfg(target_os = "linux")]
fn resident_pages() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    statm.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse("512M"), Ok(Some(512 << 20)));
        assert_eq!(parse("4G"), Ok(Some(4 << 30)));
        assert_eq!(parse("2GiB"), Ok(Some(2 << 30)));
        assert_eq!(parse("off"), Ok(None));
        assert_eq!(parse("134217728"), Ok(Some(128 << 20)));
        assert!(parse("lots").is_err());
        assert!(parse("1K").is_err());
        assert!(parse("99999999999G").is_err());
    }
}
