//! Development secrets, generated once and kept in `DATA_DIR/dev-secrets.env`
//! (owner-only permissions), so that tokens and encrypted values survive a
//! restart of the development server. Production never reads this file.

use std::{
    collections::BTreeMap,
    fs,
    io::Write,
    path::{Path, PathBuf},
};

use super::ConfigError;

pub(super) const FILE_NAME: &str = "dev-secrets.env";

pub(super) struct DevSecrets {
    path: PathBuf,
    values: BTreeMap<String, String>,
}

impl DevSecrets {
    pub fn load(data_dir: &Path) -> Result<Self, ConfigError> {
        let path = data_dir.join(FILE_NAME);
        let mut values = BTreeMap::new();
        if path.exists() {
            restrict_to_owner(&path)?;
            let entries = dotenvy::from_path_iter(&path).map_err(|error| io_error(&path, error))?;
            for entry in entries {
                let (name, value) = entry.map_err(|error| io_error(&path, error))?;
                values.insert(name, value);
            }
        }
        Ok(Self { path, values })
    }

    /// The kept value of `name`, or a new one from `generate`, appended to the
    /// file before it is used.
    pub fn get_or_generate(
        &mut self,
        name: &str,
        generate: impl FnOnce() -> String,
        warnings: &mut Vec<String>,
    ) -> Result<String, ConfigError> {
        if let Some(value) = self.values.get(name) {
            warnings.push(format!(
                "{name} is not set: using the development secret kept in {}",
                self.path.display()
            ));
            return Ok(value.clone());
        }
        let value = generate();
        self.append(name, &value)?;
        self.values.insert(name.to_string(), value.clone());
        warnings.push(format!(
            "{name} is not set: generated a development secret and kept it in {}",
            self.path.display()
        ));
        Ok(value)
    }

    fn append(&self, name: &str, value: &str) -> Result<(), ConfigError> {
        if let Some(dir) = self.path.parent() {
            create_private_dir(dir)?;
        }
        let mut file = open_private_for_append(&self.path)?;
        writeln!(file, "{name}={value}").map_err(|error| io_error(&self.path, error))?;
        file.sync_all().map_err(|error| io_error(&self.path, error))
    }
}

fn io_error(path: &Path, error: impl std::fmt::Display) -> ConfigError {
    ConfigError::new(
        "DATA_DIR",
        format!("cannot use {}: {error}", path.display()),
    )
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> Result<(), ConfigError> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.as_os_str().is_empty() || dir.exists() {
        return Ok(());
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|error| io_error(dir, error))
}

#[cfg(unix)]
fn open_private_for_append(path: &Path) -> Result<fs::File, ConfigError> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .map_err(|error| io_error(path, error))?;
    restrict_to_owner(path)?;
    Ok(file)
}

/// A secrets file readable by others is tightened rather than trusted as is.
#[cfg(unix)]
fn restrict_to_owner(path: &Path) -> Result<(), ConfigError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(path)
        .map_err(|error| io_error(path, error))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        fs::set_permissions(path, fs::Permissions::from_mode(0o600))
            .map_err(|error| io_error(path, error))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_once_and_keeps_the_value_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let mut warnings = Vec::new();

        let first = DevSecrets::load(&data)
            .unwrap()
            .get_or_generate("JWT_SECRET_KEY", || "generated-value".into(), &mut warnings)
            .unwrap();
        let second = DevSecrets::load(&data)
            .unwrap()
            .get_or_generate("JWT_SECRET_KEY", || "another".into(), &mut warnings)
            .unwrap();

        assert_eq!(first, "generated-value");
        assert_eq!(second, "generated-value");
        let mode = fs::metadata(data.join(FILE_NAME))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let dir_mode = fs::metadata(&data).unwrap().permissions().mode();
        assert_eq!(dir_mode & 0o777, 0o700);
        assert_eq!(warnings.len(), 2);
        assert!(warnings.iter().all(|w| !w.contains("generated-value")));
    }
}
