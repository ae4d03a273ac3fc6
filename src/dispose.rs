//! Freeing what a command made of a large snapshot is nobody's result, yet
//! it is slow at scale: a 2M-partition cluster is tens of millions of
//! allocations, about a second to give back one by one. It is handed to a
//! thread of its own, so the command's output is out and its exit status
//! known without waiting; a process that exits does not wait for it either.

/// Drops `value` on a background thread (here, if none can be started).
pub fn in_background<T: Send + 'static>(value: T) {
    // On a spawn error the closure, and the value with it, is dropped here.
    let _ = std::thread::Builder::new()
        .name("azcost-dispose".to_string())
        .spawn(move || drop(value));
}
