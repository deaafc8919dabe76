//! Runs a list of jobs on a few threads. A job that fails — or panics, which would otherwise leave the waiting
//! loop counting forever — comes back as an error of its own, and the other jobs go on.

use anyhow::{Result, anyhow};
use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// How often `tick` runs while jobs are under way.
const TICK: Duration = Duration::from_millis(100);

/// Runs `work` on every job, `threads` at a time, calling `tick` every [`TICK`] until all are done; returns
/// each job's result in the order of `jobs`.
pub fn run_all<J: Sync, T: Send>(
    jobs: &[J],
    threads: usize,
    work: impl Fn(&J) -> Result<T> + Sync,
    mut tick: impl FnMut(),
) -> Vec<Result<T>> {
    let next = AtomicUsize::new(0);
    let finished = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<T>>>> = Mutex::new(jobs.iter().map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..threads.clamp(1, jobs.len().max(1)) {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(index) else {
                        break;
                    };
                    let result =
                        catch_unwind(AssertUnwindSafe(|| work(job))).unwrap_or_else(|panic| {
                            Err(anyhow!(
                                "internal error: {} (please report it)",
                                message(&*panic)
                            ))
                        });
                    if let Ok(mut results) = results.lock() {
                        results[index] = Some(result);
                    }
                    finished.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        while finished.load(Ordering::Relaxed) < jobs.len() {
            tick();
            std::thread::sleep(TICK);
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .into_iter()
        .map(|result| result.unwrap_or_else(|| Err(anyhow!("internal error: the job did not run"))))
        .collect()
}

/// The text a panic was raised with.
fn message(panic: &(dyn Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic without a message")
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::bail;

    #[test]
    fn every_job_runs_once_and_results_keep_the_jobs_order() {
        let jobs: Vec<u32> = (0..17).collect();
        let results = run_all(&jobs, 3, |&j| Ok(j * 2), || {});
        let doubled: Vec<u32> = results.into_iter().map(|r| r.unwrap()).collect();
        assert_eq!(doubled, jobs.iter().map(|j| j * 2).collect::<Vec<_>>());
    }

    #[test]
    fn a_panicking_job_is_an_error_and_the_others_still_finish() {
        let jobs = [1, 2, 3, 4];
        let results = run_all(
            &jobs,
            2,
            |&j| {
                if j == 2 {
                    panic!("job two broke");
                }
                if j == 3 {
                    bail!("job three failed");
                }
                Ok(j)
            },
            || {},
        );
        assert_eq!(results[0].as_ref().unwrap(), &1);
        let panicked = results[1].as_ref().unwrap_err().to_string();
        assert!(panicked.contains("job two broke"), "{panicked}");
        assert_eq!(
            results[2].as_ref().unwrap_err().to_string(),
            "job three failed"
        );
        assert_eq!(results[3].as_ref().unwrap(), &4);
    }

    #[test]
    fn no_jobs_is_no_results_and_no_wait() {
        let results = run_all(
            &[] as &[u8],
            4,
            |_| Ok(()),
            || panic!("ticked with nothing to wait for"),
        );
        assert!(results.is_empty());
    }
}
