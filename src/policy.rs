//! The pure decision for resource requests (SPEC §7 rows 5–13).
