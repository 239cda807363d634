//! The actor's inbox: what the link tasks and the script tasks report to
//! the core, in the order they report it.
//!
//! A `VecDeque` behind a mutex and a [`Notify`], not a tokio channel. The
//! actor takes everything queued at once by swapping its own (empty) queue
//! with the shared one, so the two buffers keep their capacity and a steady
//! stream of inputs allocates nothing. A tokio unbounded channel allocates
//! a block for every 32 inputs (an [`Input`] is 80 bytes, a block 2.6 KB):
//! with a thousand masters in a fleet of three, about 5000 inputs a second,
//! those blocks and the allocator's consolidation of them were 3 % of the
//! idle CPU. The queue has no bound: what arrives is bounded by what the
//! core asked for (replies to its commands, hellos on its links).
//!
//! The mutex is never contended for long: the runtime has one thread, and
//! the lock is held for a push or a swap.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

use crate::core::Input;

/// What the senders and the actor share.
#[derive(Debug, Default)]
struct Shared {
    queue: Mutex<VecDeque<Input>>,
    /// Wakes the actor: the queue went from empty to not empty.
    wake: Notify,
    /// The actor is gone (the process is stopping).
    closed: AtomicBool,
}

/// Reports inputs to the actor; cloned for every link and script task.
#[derive(Debug, Clone)]
pub struct Sender(Arc<Shared>);

/// The actor's end.
#[derive(Debug)]
pub struct Receiver(Arc<Shared>);

/// A new inbox.
pub fn inbox() -> (Sender, Receiver) {
    let shared = Arc::new(Shared::default());
    (Sender(shared.clone()), Receiver(shared))
}

impl Sender {
    /// Queues `input`; false when the actor is gone.
    pub fn send(&self, input: Input) -> bool {
        if self.0.closed.load(Ordering::Acquire) {
            return false;
        }
        let mut queue = self.0.queue.lock().unwrap_or_else(|e| e.into_inner());
        let was_empty = queue.is_empty();
        queue.push_back(input);
        drop(queue);
        // Only the first input of a batch wakes the actor: it takes the
        // whole queue when it runs.
        if was_empty {
            self.0.wake.notify_one();
        }
        true
    }
}

impl Receiver {
    /// Waits until something may be queued (it may be nothing: a wake can
    /// outlive the inputs an earlier [`Receiver::take`] took).
    pub async fn ready(&self) {
        self.0.wake.notified().await;
    }

    /// Appends everything queued to `into`, in order. With `into` empty
    /// (as the actor keeps it) the two queues are swapped: no copy, and
    /// both keep their room.
    pub fn take(&self, into: &mut VecDeque<Input>) {
        let mut queue = self.0.queue.lock().unwrap_or_else(|e| e.into_inner());
        if into.is_empty() {
            std::mem::swap(&mut *queue, into);
        } else {
            into.extend(queue.drain(..));
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.0.closed.store(true, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::LinkId;
    use std::time::Duration;

    fn down(n: u64) -> Input {
        Input::LinkDown { link: LinkId(n), reason: String::new() }
    }

    fn links(queue: &VecDeque<Input>) -> Vec<u64> {
        queue
            .iter()
            .map(|i| match i {
                Input::LinkDown { link, .. } => link.0,
                other => panic!("unexpected {other:?}"),
            })
            .collect()
    }

    /// Inputs sent before and while the actor waits are all taken, in
    /// order; a send after a take wakes the actor again.
    #[tokio::test]
    async fn every_input_is_taken_in_order_and_a_later_one_wakes_the_actor() {
        let (tx, rx) = inbox();
        let mut got = VecDeque::new();
        assert!(tx.send(down(1)) && tx.send(down(2)));
        rx.ready().await;
        rx.take(&mut got);
        assert_eq!(links(&got), [1, 2]);
        let sender = tx.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            sender.send(down(3));
        });
        tokio::time::timeout(Duration::from_secs(5), rx.ready()).await.expect("woken");
        rx.take(&mut got);
        assert_eq!(links(&got), [1, 2, 3], "appended behind what the actor holds");
    }

    /// Nothing is queued once the actor is gone.
    #[test]
    fn a_send_after_the_actor_is_gone_fails() {
        let (tx, rx) = inbox();
        drop(rx);
        assert!(!tx.send(down(1)));
    }
}
