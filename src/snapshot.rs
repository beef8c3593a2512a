//! One immutable snapshot of config + lists.
