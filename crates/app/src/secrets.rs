//! The instance's own secrets: taken from configuration when given, otherwise generated once
//! into `<data_dir>/secrets.json` (mode 0600) and reused on every later start.

use crate::config::Config;
use crate::error::{AppError, AppResult};
use crate::security::secretbox::decode_key;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::Path;

#[derive(Serialize, Deserialize)]
struct SecretsFile {
    jwt_secret: String,
    /// Key ring: id → base64 key. The active one encrypts; all decrypt.
    encryption_keys: Vec<KeyEntry>,
    active_key: String,
}

#[derive(Serialize, Deserialize, Clone)]
struct KeyEntry {
    id: String,
    key: String,
}

pub struct Secrets {
    pub jwt_secret: Vec<u8>,
    pub active_key: String,
    pub keys: Vec<(String, [u8; 32])>,
}

fn random_b64(n: usize) -> String {
    let mut b = vec![0u8; n];
    rand::thread_rng().fill_bytes(&mut b);
    STANDARD.encode(b)
}

/// Load or create the secrets; configuration wins over the file.
pub fn load_or_create(config: &Config) -> AppResult<Secrets> {
    let path = config.data_dir().join("secrets.json");
    let file = if path.exists() {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| AppError::internal_from(format!("reading {}", path.display()), e))?;
        serde_json::from_str::<SecretsFile>(&text)
            .map_err(|e| AppError::internal_from(format!("{} is not a valid secrets file", path.display()), e))?
    } else {
        let f = SecretsFile {
            jwt_secret: random_b64(48),
            encryption_keys: vec![KeyEntry { id: "k1".into(), key: random_b64(32) }],
            active_key: "k1".into(),
        };
        write_private(&path, &serde_json::to_string_pretty(&f).map_err(AppError::internal)?)?;
        f
    };
    let mut keys = Vec::new();
    for k in &file.encryption_keys {
        let key =
            decode_key(&k.key).map_err(|why| AppError::internal(format!("{}: key {}: {why}", path.display(), k.id)))?;
        keys.push((k.id.clone(), key));
    }
    let mut active_key = file.active_key.clone();
    if let Some(configured) = &config.encryption_key {
        let key = decode_key(configured).map_err(AppError::internal)?;
        keys.retain(|(id, _)| id != "config");
        keys.push(("config".into(), key));
        active_key = "config".into();
    }
    let jwt_secret = config.jwt_secret.clone().unwrap_or(file.jwt_secret).into_bytes();
    Ok(Secrets { jwt_secret, active_key, keys })
}

/// Write a file readable only by its owner.
fn write_private(path: &Path, contents: &str) -> AppResult<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| AppError::internal_from(format!("creating {}", dir.display()), e))?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(|e| AppError::internal_from(format!("creating {}", path.display()), e))?;
    f.write_all(contents.as_bytes()).map_err(|e| AppError::internal_from(format!("writing {}", path.display()), e))
}

/// Add a fresh encryption key to the secrets file and make it the active one; its id.
/// Old keys stay in the ring so existing ciphertexts remain readable until re-encrypted.
pub fn add_active_key(config: &Config) -> AppResult<String> {
    if config.encryption_key.is_some() {
        return Err(AppError::internal(
            "SELLCAST_ENCRYPTION_KEY is set: rotate by adding the new key to secrets.json instead of the environment",
        ));
    }
    load_or_create(config)?;
    let path = config.data_dir().join("secrets.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| AppError::internal_from(format!("reading {}", path.display()), e))?;
    let mut file: SecretsFile = serde_json::from_str(&text)
        .map_err(|e| AppError::internal_from(format!("{} is not a valid secrets file", path.display()), e))?;
    let next = (1..).map(|n| format!("k{n}")).find(|id| !file.encryption_keys.iter().any(|k| &k.id == id));
    let id = next.ok_or_else(|| AppError::internal("no free key id"))?;
    file.encryption_keys.push(KeyEntry { id: id.clone(), key: random_b64(32) });
    file.active_key = id.clone();
    // Written beside, then renamed over: a crash leaves the old file or the new one, never half.
    let tmp = path.with_extension("json.new");
    let _ = std::fs::remove_file(&tmp);
    write_private(&tmp, &serde_json::to_string_pretty(&file).map_err(AppError::internal)?)?;
    std::fs::rename(&tmp, &path).map_err(|e| AppError::internal_from(format!("replacing {}", path.display()), e))?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_key_becomes_active_and_old_ones_stay() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config { data_dir: dir.path().to_path_buf(), ..Config::default() };
        let before = load_or_create(&config).unwrap();
        let id = add_active_key(&config).unwrap();
        let after = load_or_create(&config).unwrap();
        assert_eq!(after.active_key, id);
        assert_ne!(id, before.active_key);
        assert!(after.keys.iter().any(|(k, _)| k == &before.active_key), "the old key stays readable");
        assert_eq!(after.jwt_secret, before.jwt_secret);
    }

    #[test]
    fn generated_once_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config { data_dir: dir.path().to_path_buf(), ..Config::default() };
        let a = load_or_create(&config).unwrap();
        let b = load_or_create(&config).unwrap();
        assert_eq!(a.jwt_secret, b.jwt_secret);
        assert_eq!(a.keys, b.keys);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("secrets.json")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let configured = Config { jwt_secret: Some("x".repeat(40)), ..config };
        assert_eq!(load_or_create(&configured).unwrap().jwt_secret, "x".repeat(40).into_bytes());
    }
}
