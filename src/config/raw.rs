//! The TOML file as written (filled in by the config work).
