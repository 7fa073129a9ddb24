//! Faults injected on demand: dropped connections, delayed answers, internal errors,
//! stalled uploads and a file part lost from storage.
//!
//! Faults apply to RPC calls (everything answered with `rpc_result`, including the
//! `initConnection` a client sends on every new connection), not to MTProto service messages
//! such as ping or `get_future_salts`.

use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::watch;

/// The fault switches of one server. Cheap to share; every method takes `&self`.
#[derive(Debug)]
pub struct Faults {
    drop_epoch: watch::Sender<u64>,
    refuse_connections: AtomicU32,
    drop_requests: AtomicU32,
    fail_requests: AtomicU32,
    answer_delay_ms: AtomicU64,
    upload_delay_ms: AtomicU64,
    /// The part number whose next saves are acknowledged but not kept; -1: none.
    lost_part: AtomicI64,
    /// How many more saves of `lost_part` are lost.
    lost_part_times: AtomicU32,
    failure: Mutex<(i32, String)>,
}

/// A snapshot of the switches that are armed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FaultState {
    /// How many of the next accepted connections are closed at once.
    pub refuse_next_connections: u32,
    /// How many of the next RPC calls close their connection instead of being answered.
    pub drop_next_requests: u32,
    /// How many of the next RPC calls are answered with the injected error.
    pub fail_next_requests: u32,
    /// Delay added to every RPC answer, in milliseconds (0 = none).
    pub answer_delay_ms: u64,
    /// Delay added to answers of `upload.saveFilePart` / `upload.saveBigFilePart`, in
    /// milliseconds (0 = none).
    pub upload_delay_ms: u64,
    /// The file part whose next save is acknowledged but lost, if armed.
    pub lose_file_part: Option<i32>,
}

/// What to do with one RPC call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CallFault {
    /// Close the connection without answering.
    DropConnection,
    /// Answer with this error (after the delay, if any).
    Fail { code: i32, message: String },
    /// Answer normally.
    None,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            drop_epoch: watch::Sender::new(0),
            refuse_connections: AtomicU32::new(0),
            drop_requests: AtomicU32::new(0),
            fail_requests: AtomicU32::new(0),
            answer_delay_ms: AtomicU64::new(0),
            upload_delay_ms: AtomicU64::new(0),
            lost_part: AtomicI64::new(-1),
            lost_part_times: AtomicU32::new(0),
            failure: Mutex::new((500, "INTERNAL".to_owned())),
        }
    }
}

impl Faults {
    /// Closes every connection open right now (clients see the socket close).
    pub fn drop_all_connections(&self) {
        self.drop_epoch.send_modify(|epoch| *epoch += 1);
    }

    /// Closes each of the next `count` accepted connections before reading from it.
    pub fn refuse_next_connections(&self, count: u32) {
        self.refuse_connections.store(count, Ordering::SeqCst);
    }

    /// Closes the connection of each of the next `count` RPC calls instead of answering.
    pub fn drop_next_requests(&self, count: u32) {
        self.drop_requests.store(count, Ordering::SeqCst);
    }

    /// Answers each of the next `count` RPC calls with `500 INTERNAL`.
    pub fn fail_next_requests(&self, count: u32) {
        self.fail_next_requests_with(count, 500, "INTERNAL");
    }

    /// Answers each of the next `count` RPC calls with the given error.
    pub fn fail_next_requests_with(&self, count: u32, code: i32, message: &str) {
        *self.failure.lock().expect("fault lock is never poisoned") = (code, message.to_owned());
        self.fail_requests.store(count, Ordering::SeqCst);
    }

    /// Delays every RPC answer by `delay` (`Duration::ZERO` turns delays off).
    pub fn delay_answers(&self, delay: Duration) {
        let millis = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self.answer_delay_ms.store(millis, Ordering::SeqCst);
    }

    /// Delays the answers to file part uploads (`upload.saveFilePart`,
    /// `upload.saveBigFilePart`) by `delay`, on top of any delay of every answer: a
    /// stalled upload (`Duration::ZERO` turns it off).
    pub fn delay_uploads(&self, delay: Duration) {
        let millis = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self.upload_delay_ms.store(millis, Ordering::SeqCst);
    }

    /// The next save of file part `part` (of any file) is answered `true` but not kept,
    /// once: the part is "missing from storage" and a `messages.sendMedia` naming the
    /// file answers `FILE_PART_<part>_MISSING`, as Telegram does when it lost a part
    /// (Telethon `errors.csv:170` FILE_PART_X_MISSING "Part {which} of the file is
    /// missing from storage"; PyroTGFork `400_BAD_REQUEST.tsv:214`, "Try repeating the
    /// method call to resave the part"). A negative `part` disarms it.
    pub fn lose_next_file_part(&self, part: i32) {
        self.lose_file_part(part, 1);
    }

    /// [`Self::lose_next_file_part`] for each of the next `times` saves of `part`.
    pub fn lose_file_part(&self, part: i32, times: u32) {
        self.lost_part_times.store(times, Ordering::SeqCst);
        self.lost_part
            .store(i64::from(part.max(-1)), Ordering::SeqCst);
    }

    /// Disarms every switch (connections already dropped stay dropped).
    pub fn clear(&self) {
        self.refuse_next_connections(0);
        self.drop_next_requests(0);
        self.fail_requests.store(0, Ordering::SeqCst);
        self.delay_answers(Duration::ZERO);
        self.delay_uploads(Duration::ZERO);
        self.lose_next_file_part(-1);
    }

    /// The armed switches.
    pub fn state(&self) -> FaultState {
        FaultState {
            refuse_next_connections: self.refuse_connections.load(Ordering::SeqCst),
            drop_next_requests: self.drop_requests.load(Ordering::SeqCst),
            fail_next_requests: self.fail_requests.load(Ordering::SeqCst),
            answer_delay_ms: self.answer_delay_ms.load(Ordering::SeqCst),
            upload_delay_ms: self.upload_delay_ms.load(Ordering::SeqCst),
            lose_file_part: i32::try_from(self.lost_part.load(Ordering::SeqCst))
                .ok()
                .filter(|part| *part >= 0),
        }
    }

    pub(crate) fn subscribe_drops(&self) -> watch::Receiver<u64> {
        self.drop_epoch.subscribe()
    }

    pub(crate) fn take_connection_refusal(&self) -> bool {
        take_one(&self.refuse_connections)
    }

    pub(crate) fn answer_delay(&self) -> Option<Duration> {
        match self.answer_delay_ms.load(Ordering::SeqCst) {
            0 => None,
            millis => Some(Duration::from_millis(millis)),
        }
    }

    pub(crate) fn upload_delay(&self) -> Option<Duration> {
        match self.upload_delay_ms.load(Ordering::SeqCst) {
            0 => None,
            millis => Some(Duration::from_millis(millis)),
        }
    }

    /// Whether this save of part `part` is one to lose (the switch disarms itself
    /// after the last).
    pub(crate) fn take_lost_part(&self, part: i32) -> bool {
        if self.lost_part.load(Ordering::SeqCst) != i64::from(part)
            || !take_one(&self.lost_part_times)
        {
            return false;
        }
        if self.lost_part_times.load(Ordering::SeqCst) == 0 {
            self.lost_part.store(-1, Ordering::SeqCst);
        }
        true
    }

    pub(crate) fn take_call_fault(&self) -> CallFault {
        if take_one(&self.drop_requests) {
            return CallFault::DropConnection;
        }
        if take_one(&self.fail_requests) {
            let (code, message) = self
                .failure
                .lock()
                .expect("fault lock is never poisoned")
                .clone();
            return CallFault::Fail { code, message };
        }
        CallFault::None
    }
}

/// Decrements `counter` if it is positive; true if it did.
fn take_one(counter: &AtomicU32) -> bool {
    counter
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_fire_exactly_n_times() {
        let faults = Faults::default();
        faults.drop_next_requests(1);
        faults.fail_next_requests(2);
        assert_eq!(faults.take_call_fault(), CallFault::DropConnection);
        let internal = CallFault::Fail {
            code: 500,
            message: "INTERNAL".into(),
        };
        assert_eq!(faults.take_call_fault(), internal);
        assert_eq!(faults.take_call_fault(), internal);
        assert_eq!(faults.take_call_fault(), CallFault::None);

        faults.refuse_next_connections(1);
        assert!(faults.take_connection_refusal());
        assert!(!faults.take_connection_refusal());
    }

    #[test]
    fn clear_disarms_everything() {
        let faults = Faults::default();
        faults.fail_next_requests_with(3, 420, "FLOOD_WAIT_9");
        faults.delay_answers(Duration::from_millis(250));
        assert_eq!(faults.answer_delay(), Some(Duration::from_millis(250)));
        faults.delay_uploads(Duration::from_secs(5));
        faults.lose_next_file_part(2);
        assert_eq!(faults.state().lose_file_part, Some(2));
        faults.clear();
        assert_eq!(
            faults.state(),
            FaultState {
                refuse_next_connections: 0,
                drop_next_requests: 0,
                fail_next_requests: 0,
                answer_delay_ms: 0,
                upload_delay_ms: 0,
                lose_file_part: None,
            }
        );
        assert_eq!(faults.take_call_fault(), CallFault::None);
    }

    #[test]
    fn a_lost_part_is_lost_once_and_only_that_part() {
        let faults = Faults::default();
        assert!(!faults.take_lost_part(0), "nothing armed");
        faults.lose_next_file_part(1);
        assert!(!faults.take_lost_part(0));
        assert!(faults.take_lost_part(1));
        assert!(!faults.take_lost_part(1), "once");
        assert_eq!(faults.state().lose_file_part, None);
        faults.lose_file_part(0, 2);
        assert!(faults.take_lost_part(0) && faults.take_lost_part(0));
        assert!(!faults.take_lost_part(0), "twice");
    }

    #[test]
    fn drop_all_notifies_subscribers() {
        let faults = Faults::default();
        let receiver = faults.subscribe_drops();
        assert!(!receiver.has_changed().unwrap());
        faults.drop_all_connections();
        assert!(receiver.has_changed().unwrap());
    }
}
