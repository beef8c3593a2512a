//! Raw → validated (filled in by the config work).
use super::Config;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
#[error("config error")]
pub struct ConfigError;

pub fn load(_path: &Path) -> Result<Config, ConfigError> {
    Err(ConfigError)
}

pub fn load_str(_text: &str, _path: Option<&Path>) -> Result<Config, ConfigError> {
    Err(ConfigError)
}
