//! flock(2) without blocking, for the files ddish shares between its processes (the
//! journal, the write locks): callers wait by retrying, so a stopped holder never hangs them.
use std::fs::File;
use std::io;
use std::os::unix::io::AsRawFd;

/// `op` (LOCK_SH or LOCK_EX) with LOCK_NB: Ok(false) when another process holds it.
pub(super) fn try_lock(f: &File, op: libc::c_int) -> io::Result<bool> {
    loop {
        // SAFETY: the descriptor is open for the lifetime of `f`.
        if unsafe { libc::flock(f.as_raw_fd(), op | libc::LOCK_NB) } == 0 {
            return Ok(true);
        }
        let e = io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EWOULDBLOCK) => return Ok(false),
            Some(libc::EINTR) => continue,
            _ => return Err(e),
        }
    }
}
