//! Many paths in a few allocations. A lint holds the path of every file of a tree to its
//! end, and a render hands every path to its caller (~200,000 in one environment's stream
//! at N = 10,000): as `String`s each costs 24 bytes and an allocation on top of its bytes,
//! here 12.

/// Paths packed one after another into buffers that are never grown in place, each twice
/// the last up to 64 KiB (so none is copied as more are added, and at most
/// one is partly empty).
#[derive(Debug, Default)]
pub struct PathList {
    buffers: Vec<String>,
    /// Per path: its buffer, and where it starts and ends there.
    at: Vec<[u32; 3]>,
}

impl PathList {
    const MIN_BUFFER: usize = 256;
    const MAX_BUFFER: usize = 64 * 1024;

    pub fn push(&mut self, path: &str) {
        let fits = self
            .buffers
            .last()
            .is_some_and(|b| b.capacity() - b.len() >= path.len());
        if !fits {
            let last = self.buffers.last().map_or(0, String::capacity);
            let size = (last * 2)
                .clamp(Self::MIN_BUFFER, Self::MAX_BUFFER)
                .max(path.len());
            self.buffers.push(String::with_capacity(size));
        }
        let n = self.buffers.len() - 1;
        let buffer = &mut self.buffers[n];
        let start = buffer.len();
        buffer.push_str(path);
        // A path is far below 4 GiB, and a run's files are counted in 32 bits (`SourceId`).
        let at = |n: usize| u32::try_from(n).expect("path offsets fit in 32 bits");
        self.at.push([at(n), at(start), at(buffer.len())]);
    }

    /// The `i`th path pushed.
    pub fn get(&self, i: usize) -> &str {
        let [buffer, start, end] = self.at[i];
        &self.buffers[buffer as usize][start as usize..end as usize]
    }

    pub fn len(&self) -> usize {
        self.at.len()
    }

    pub fn is_empty(&self) -> bool {
        self.at.is_empty()
    }

    /// Make room for `more` paths (their bytes still come a buffer at a time).
    pub fn reserve(&mut self, more: usize) {
        self.at.reserve_exact(more);
    }
}

#[cfg(test)]
mod tests {
    use super::PathList;

    #[test]
    fn paths_come_back_as_pushed_across_buffers() {
        let mut list = PathList::default();
        let paths: Vec<String> = (0..5_000)
            .map(|i| format!("prod/tenants/team-{i}/{}.yaml", "x".repeat(i % 97)))
            .chain(["".into(), "long/".repeat(40_000)])
            .collect();
        for p in &paths {
            list.push(p);
        }
        assert_eq!(list.len(), paths.len());
        assert!(
            list.buffers.len() > 2,
            "several buffers: {}",
            list.buffers.len()
        );
        for (i, p) in paths.iter().enumerate() {
            assert_eq!(list.get(i), p);
        }
        // A path longer than a buffer has one of its own; no buffer ever grew.
        assert!(list.buffers.iter().all(|b| b.len() <= b.capacity()));
        assert!(list
            .buffers
            .iter()
            .any(|b| b.capacity() >= 200_000 && b.len() == 200_000));
    }
}
