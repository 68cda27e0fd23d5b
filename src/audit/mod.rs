//! The append-only history journal: one JSON object per line, shared safely by several
//! ddish processes (admins on one jump host may point `settings.journal` at one file).
mod entry;
mod error;
mod file_mode;
mod flock;
mod intent;
mod journal;
mod redact;
mod server_lock;

pub use entry::{current_user, Entry};
pub use error::AuditError;
pub use file_mode::{file_mode_for, file_mode_in, open_with_mode, share_with_group};
pub use intent::{dismiss as dismiss_intent, record as record_intent, unfinished, Intent};
pub use journal::{Journal, JournalRead, INTENT};
pub use redact::redact;
pub use server_lock::{lock_dir, lock_servers, LockError, WriteLock};
